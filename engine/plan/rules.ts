import { coreKeys, contextKeys, isKeyName } from '../../sdk/context-keys.ts';
import { Condition, conditionKeys } from './conditions.ts';
import type { PlanProblem, SlotAnalysis } from './plan-types.ts';
import { quote } from '../../core/quote.ts';
import { issueText } from '../../core/schema-problems.ts';

/**
 * The planner's rules, each a small function over the selected slots. The planner runs
 * them all and reports every problem at once, so a user fixes a broken pipeline in one pass.
 */
type Rule = (slots: readonly SlotAnalysis[]) => PlanProblem[];

const problem = (s: SlotAnalysis, message: string): PlanProblem => ({ where: s.where, message });
const inputsOf = (s: SlotAnalysis) => s.registry?.input_keys ?? [];
const outputsOf = (s: SlotAnalysis) => s.registry?.output_keys ?? [];

const moduleRegistered: Rule = (slots) =>
  slots.filter((s) => !s.registry).map((s) => problem(s, `module ${s.row.module_id} is not in module_registry`));

const moduleActive: Rule = (slots) =>
  slots
    .filter((s) => s.registry && !s.registry.is_active)
    .map((s) => problem(s, `module ${s.row.module_id} is inactive; run \`trader module activate ${s.row.module_id}\``));

const moduleLoads: Rule = (slots) =>
  slots.flatMap((s) => (s.load && !s.load.ok ? s.load.problems.map((m) => problem(s, m)) : []));

const stageMatchesLogicType: Rule = (slots) =>
  slots
    .filter((s) => s.registry && s.registry.logic_type !== s.row.stage)
    .map((s) =>
      problem(
        s,
        `module ${s.row.module_id} is a ${s.registry!.logic_type} module but sits in the ${s.row.stage} stage`,
      ),
    );

const keysInContract: Rule = (slots) =>
  slots.flatMap((s) =>
    [...inputsOf(s), ...outputsOf(s)]
      .filter((k) => !isKeyName(k))
      .map((k) =>
        problem(
          s,
          `module ${s.row.module_id} names context key ${quote(k)}, which the contract does not define (see docs/context_dict_schema.md)`,
        ),
      ),
  );

const noCoreWrites: Rule = (slots) =>
  slots.flatMap((s) =>
    outputsOf(s)
      .filter((k) => isKeyName(k) && contextKeys[k].producer === 'core')
      .map((k) => problem(s, `module ${s.row.module_id} declares output ${quote(k)}, which only the core may write`)),
  );

/** Walks the slots in run order so "available" means "written by an earlier, merged module". */
function walkAvailability(
  slots: readonly SlotAnalysis[],
  check: (s: SlotAnalysis, available: ReadonlySet<string>) => PlanProblem[],
) {
  const available = new Set<string>(coreKeys);
  const problems: PlanProblem[] = [];
  for (const s of slots) {
    problems.push(...check(s, available));
    if (!s.row.shadow) for (const k of outputsOf(s)) available.add(k);
  }
  return problems;
}

const inputsProducedEarlier: Rule = (slots) =>
  walkAvailability(slots, (s, available) =>
    inputsOf(s)
      .filter((k) => isKeyName(k) && !available.has(k))
      .map((k) =>
        problem(s, `module ${s.row.module_id} reads ${quote(k)} but no earlier module in the plan writes it`),
      ),
  );

const whenValid: Rule = (slots) =>
  walkAvailability(slots, (s, available) => {
    if (s.row.run_when === null || s.row.run_when === undefined) return [];
    const parsed = Condition.safeParse(s.row.run_when);
    if (!parsed.success) {
      return [problem(s, parsed.error.issues.map((i) => issueText(i, ['run_when'])).join('; '))];
    }
    return conditionKeys(parsed.data)
      .filter((k) => !available.has(k))
      .map((k) => problem(s, `run_when reads ${quote(k)}, which is not available before ${s.row.module_id} runs`));
  });

const singleWriterPerValueKey: Rule = (slots) => {
  const writers = new Map<string, string[]>();
  for (const s of slots.filter((x) => !x.row.shadow)) {
    for (const k of outputsOf(s)) {
      if (isKeyName(k) && contextKeys[k].kind === 'value') writers.set(k, [...(writers.get(k) ?? []), s.row.module_id]);
    }
  }
  return [...writers]
    .filter(([, ids]) => ids.length > 1)
    .map(([k, ids]) => ({
      where: 'plan',
      message: `value key ${quote(k)} has ${ids.length} writers (${ids.join(', ')}); a value key allows one`,
    }));
};

const paramsValid: Rule = (slots) =>
  slots.flatMap((s) => {
    if (!s.load?.ok) return [];
    const parsed = s.load.module.manifest.params.safeParse(s.params);
    if (parsed.success) return [];
    return parsed.error.issues.map((i) => problem(s, issueText(i, ['params'])));
  });

export const planRules: readonly Rule[] = [
  moduleRegistered,
  moduleActive,
  moduleLoads,
  stageMatchesLogicType,
  keysInContract,
  noCoreWrites,
  inputsProducedEarlier,
  whenValid,
  singleWriterPerValueKey,
  paramsValid,
];
