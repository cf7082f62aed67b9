import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../../trading/scope.ts';
import { listStrategyHealth, recordStrategyRun } from '../../trading/strategies/strategy-health.ts';
import type { Plan, PlanProblem } from '../plan/plan-types.ts';
import type { RunHead, SymbolSettled } from './run-summary.ts';

/** A run's side of strategy health (trading/strategies/strategy-health.ts): refuse a disabled strategy, count failures. */

/** One plan problem per disabled strategy the run's plans use, naming the command that re-enables it. */
export async function disabledStrategies(
  db: Db,
  scope: TradingScope,
  plans: ReadonlyMap<string, Plan>,
): Promise<PlanProblem[]> {
  const used = new Set([...plans.values()].map((p) => p.strategy_id));
  const health = await tradingTx(db, scope, (tx) => listStrategyHealth(tx, scope));
  return health
    .filter((d) => d.disabled_at !== null && used.has(d.strategy_id))
    .map((d) => ({
      where: `strategy ${d.strategy_id}`,
      message: `was disabled after ${d.disabled_reason}; fix its modules, then run \`trader strategy enable ${d.strategy_id}\``,
    }));
}

/**
 * Each strategy of the run counts it as failed (one of its modules failed on a symbol) or not.
 * `strategies[i]` is the strategy that decided `steps[i]` (null: the symbol had no plan).
 */
export async function countStrategyFailures(
  db: Db,
  scope: TradingScope,
  head: Pick<RunHead, 'run_id' | 'mode'>,
  steps: readonly SymbolSettled[],
  strategies: readonly (string | null)[],
): Promise<void> {
  const failures = new Map<string, string | null>();
  steps.forEach((step, i) => {
    const strategy = strategies[i];
    if (!strategy || step.outcome.outcome === 'not_run') return;
    const failed = step.errors.find((e) => e.module_id !== null);
    if (!failures.has(strategy) || (failures.get(strategy) === null && failed))
      failures.set(strategy, failed ? `${failed.module_id} on ${step.outcome.symbol}: ${failed.message}` : null);
  });
  if (failures.size === 0) return;
  await tradingTx(db, scope, async (tx) => {
    for (const [strategyId, failure] of failures)
      await recordStrategyRun(tx, scope, {
        strategyId,
        failure,
        riskProfile: head.mode.risk_profile,
        runId: head.run_id,
      });
  });
}
