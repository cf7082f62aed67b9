import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../../trading/scope.ts';
import { listStrategyHealth, recordStrategyRun } from '../../trading/strategies/strategy-health.ts';
import type { Plan, PlanProblem } from '../plan/plan-types.ts';
import type { SymbolStep } from './decide-symbol.ts';
import type { RunContext } from './run-context.ts';

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

/** Each strategy of the run counts it as failed (one of its modules failed on a symbol) or not. */
export async function countStrategyFailures(run: RunContext, steps: readonly SymbolStep[]): Promise<void> {
  const failures = new Map<string, string | null>();
  run.o.symbols.forEach((symbol, i) => {
    const strategy = run.prepared.plans.get(symbol)?.strategy_id;
    const step = steps[i];
    if (!strategy || !step || step.outcome.outcome === 'not_run') return;
    const failed = step.errors.find((e) => e.module_id !== null);
    if (!failures.has(strategy) || (failures.get(strategy) === null && failed))
      failures.set(strategy, failed ? `${failed.module_id} on ${symbol}: ${failed.message}` : null);
  });
  if (failures.size === 0) return;
  await tradingTx(run.db, run.scope, async (tx) => {
    for (const [strategyId, failure] of failures)
      await recordStrategyRun(tx, run.scope, {
        strategyId,
        failure,
        riskProfile: run.state.risk_profile,
        runId: run.run_id,
      });
  });
}
