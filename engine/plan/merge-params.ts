import type { ConfigSnapshot, SlotRow } from '../../registry/rows.ts';
import type { PlanScope } from './plan-types.ts';

/**
 * A module's params, layered from least to most specific: registry defaults, the
 * pipeline/strategy slot, the strategy's active version (what an optimiser study chose and
 * the user approved), the asset's override, then matching risk_config rules (last, so risk
 * settings always win). The result is validated against the module's schema later.
 */
export function mergeParams(config: ConfigSnapshot, row: SlotRow, scope: PlanScope): Record<string, unknown> {
  const registry = config.registry.find((r) => r.module_id === row.module_id);
  const riskLayers = config.risk
    .filter((r) => r.module_id === row.module_id && (r.profile === null || r.profile === scope.riskProfile))
    .map((r) => r.params);
  const version = 'strategy_id' in row ? scope.strategyVersion?.params[row.module_id] : undefined;
  return Object.assign(
    {},
    registry?.params,
    row.params,
    version,
    scope.asset?.module_params[row.module_id],
    ...riskLayers,
  );
}
