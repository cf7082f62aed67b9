import { defaultOnError } from '../../sdk/stages.ts';
import { Condition } from './conditions.ts';
import { mergeParams } from './merge-params.ts';
import type { Plan, PlanInput, PlannedSlot, PlanProblem, SlotAnalysis } from './plan-types.ts';
import { resolveSlots, slotLabel } from './resolve-slots.ts';
import { planRules } from './rules.ts';

/**
 * The pure planner: from configuration rows and already-loaded modules to a runnable
 * plan, or the complete list of problems. Nothing runs until this says yes.
 */
export function buildPlan(input: PlanInput): { plan: Plan | null; problems: PlanProblem[] } {
  const { config, loaded, scope } = input;
  const resolved = resolveSlots(config, scope);
  const analysis: SlotAnalysis[] = resolved.slots.map((row) => ({
    row,
    where: scope.asset ? `${slotLabel(row)} (asset ${scope.asset.symbol})` : slotLabel(row),
    registry: config.registry.find((r) => r.module_id === row.module_id),
    load: loaded.get(row.module_id),
    params: mergeParams(config, row, scope),
  }));
  const problems = [...resolved.problems, ...planRules.flatMap((rule) => rule(analysis))];
  if (problems.length > 0) return { plan: null, problems };

  const slots: PlannedSlot[] = analysis.map((a) => {
    const module = a.load?.ok ? a.load.module : undefined;
    if (!module) throw new Error(`planner invariant: ${a.row.module_id} passed the rules without loading`);
    return {
      stage: a.row.stage,
      module_id: a.row.module_id,
      version: module.manifest.version,
      params: module.manifest.params.parse(a.params) as Record<string, unknown>,
      when: a.row.run_when == null ? null : Condition.parse(a.row.run_when),
      shadow: a.row.shadow,
      on_error: a.row.on_error ?? defaultOnError[a.row.stage],
      limit_ms: a.row.time_limit_ms ?? null,
      module,
    };
  });
  return {
    plan: {
      pipeline_id: scope.pipelineId,
      strategy_id: scope.strategyId,
      ...(scope.strategyVersion
        ? {
            strategy_version: scope.strategyVersion.version,
            suitable_risk_profiles: scope.strategyVersion.suitable_risk_profiles,
          }
        : {}),
      symbol: scope.asset?.symbol ?? null,
      slots,
    },
    problems: [],
  };
}
