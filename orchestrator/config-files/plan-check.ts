import { modulesRoot } from '../../core/paths.ts';
import type { ConfigSnapshot } from '../../registry/rows.ts';
import { buildPlan } from '../../engine/plan/planner.ts';
import type { PlanScope } from '../../engine/plan/plan-types.ts';
import { loadReferenced } from '../../engine/plan/prepare.ts';

const profiles: PlanScope['riskProfile'][] = ['low', 'medium', 'high'];

/**
 * Plans each scope against a configuration as it would be after an apply, under every risk
 * profile (risk_config rules may differ per profile): the planner's problems, once each,
 * as "<prefix><where>: <message>".
 */
export async function planningProblems(
  config: ConfigSnapshot,
  scopes: { scope: Omit<PlanScope, 'riskProfile'>; prefix?: string }[],
): Promise<string[]> {
  if (scopes.length === 0) return [];
  const loaded = await loadReferenced(config, modulesRoot());
  const problems = new Set<string>();
  for (const { scope, prefix = '' } of scopes)
    for (const riskProfile of profiles)
      for (const p of buildPlan({ config, loaded, scope: { ...scope, riskProfile } }).problems)
        problems.add(`${prefix}${p.where}: ${p.message}`);
  return [...problems];
}
