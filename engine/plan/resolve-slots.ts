import type { ConfigSnapshot, SlotRow } from '../../registry/rows.ts';
import { stageOrder } from '../../sdk/stages.ts';
import type { PlanProblem, PlanScope } from './plan-types.ts';
import { quote } from '../../core/quote.ts';

/**
 * Picks the slot rows for a scope: the pipeline's rows, with every stage the strategy
 * names replaced by the strategy's rows, minus disabled rows and modules the asset
 * switches off; sorted by stage order, then position.
 */
export function resolveSlots(config: ConfigSnapshot, scope: PlanScope): { slots: SlotRow[]; problems: PlanProblem[] } {
  const problems: PlanProblem[] = [];
  let rows: SlotRow[] = config.pipeline.filter((r) => r.pipeline_id === scope.pipelineId);
  if (scope.strategyId !== null) {
    const strategyRows = config.strategies.filter((r) => r.strategy_id === scope.strategyId);
    if (strategyRows.length === 0) {
      const known = [...new Set(config.strategies.map((r) => r.strategy_id))];
      problems.push({
        where: `strategy ${scope.strategyId}`,
        message: `strategy ${quote(scope.strategyId)} does not exist (known: ${known.join(', ') || 'none'})`,
      });
    }
    const overridden = new Set(strategyRows.map((r) => r.stage));
    rows = [...rows.filter((r) => !overridden.has(r.stage)), ...strategyRows];
  }
  const disabled = new Set(scope.asset?.disabled_modules ?? []);
  const order = (r: SlotRow) => stageOrder.indexOf(r.stage);
  const slots = rows
    .filter((r) => r.is_enabled && !disabled.has(r.module_id))
    .sort((a, b) => order(a) - order(b) || a.position - b.position || a.module_id.localeCompare(b.module_id));
  if (slots.length === 0 && problems.length === 0) {
    problems.push({
      where: `pipeline ${scope.pipelineId}`,
      message: `pipeline ${quote(scope.pipelineId)} has no enabled modules; run \`trader db seed\` or add pipeline_config rows`,
    });
  }
  return { slots, problems };
}

/** Human label of a slot for problem messages and logs. */
export function slotLabel(row: SlotRow): string {
  const owner = 'strategy_id' in row ? `strategy ${row.strategy_id}` : `pipeline ${row.pipeline_id}`;
  return `${owner}, ${row.stage} slot ${row.module_id}`;
}
