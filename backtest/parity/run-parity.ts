import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import { releaseSandbox, warmSandbox } from '../../sandbox/probe.ts';
import type { Db } from '../../store/db.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { loadState } from '../../trading/state-repo.ts';
import { costStats, costSuggestion } from './fill-costs.ts';
import { fillCosts } from './fill-orders.ts';
import { attribute, decisionDifference } from './parity-compare.ts';
import {
  decisionKey,
  loadDecisions,
  loadFills,
  loadFingerprints,
  loadRuns,
  pipelineKnown,
  type Window,
} from './parity-load.ts';
import { PlanCache, replaySymbol } from './parity-replay.ts';
import { type Cause, type Difference, ParityReport, type Unverified } from './parity-schema.ts';

/**
 * `trader parity`: every recorded run of the window re-decided symbol by symbol with the
 * backtest engine's decision path, each difference attributed to a cause, and the entry
 * fills of those runs measured against the paper fill model. Reads everything first, then
 * re-decides; writes nothing (a read-only check, like `trader backtest` and `audit verify`).
 */
export async function runParity(db: Db, w: Window, env?: NodeJS.ProcessEnv): Promise<ParityReport> {
  if (w.from.getTime() >= w.to.getTime()) throw new TraderError('BAD_INPUT', '--from must be before --to.');
  if (w.pipelineId !== null && !(await pipelineKnown(db, w.pipelineId)))
    throw new TraderError(
      'NOT_FOUND',
      `Pipeline ${quote(w.pipelineId)} is neither configured nor used by any run; give the id of one, like default.`,
    );
  const runs = await loadRuns(db, w);
  const ids = runs.map((r) => r.run_id);
  const [decisions, prints, fills] = await Promise.all([
    loadDecisions(db, ids),
    loadFingerprints(db, ids),
    loadFills(db, ids),
  ]);
  const differences: Difference[] = [];
  const unverified: Unverified[] = [];
  let identical = 0;
  const plans = new PlanCache(db, env);
  // Taken once the first plan is built: the worker that probed its modules is then the warm one (probe.ts).
  let sandbox: ReturnType<typeof warmSandbox> | null = null;
  const takeSandbox = () => (sandbox ??= warmSandbox());
  try {
    for (const run of runs) {
      const as_of = run.as_of.toISOString();
      for (const symbol of run.symbols) {
        const recorded = decisions.get(decisionKey(run.run_id, symbol));
        if (!recorded) continue; // not decided: an earlier halt_run stopped the run before it
        const print = prints.get(decisionKey(run.run_id, symbol));
        if (!print) {
          const reason =
            print === null
              ? 'its recorded fingerprint does not read as one (changed outside trader)'
              : 'not recorded by this run (it ran before runs recorded fingerprints)';
          unverified.push({ run_id: run.run_id, as_of, symbol, reason });
          continue;
        }
        const { decision, current } = await replaySymbol(db, takeSandbox, plans, run, symbol, print);
        if (decisionDifference(recorded, decision) === null) {
          identical++;
          continue;
        }
        const why = attribute(print, current);
        differences.push({
          run_id: run.run_id,
          as_of,
          pipeline_id: run.pipeline_id,
          symbol,
          cause: why.cause,
          explanation: why.explanation,
          recorded,
          replayed: decision,
        });
      }
    }
  } finally {
    if (sandbox) await releaseSandbox(sandbox);
  }
  const test = tradingScope('TEST');
  const paperNow = await tradingTx(db, test, (tx) => loadState(tx, test));
  const costs = fillCosts(fills, decisions, prints, {
    fee_rate: paperNow.paper_fee_bps / 1e4,
    slippage_rate: paperNow.paper_slippage_bps / 1e4,
  });
  const paper = costStats(costs.paper);
  const exchange = costStats(costs.exchange);
  const causes = Object.fromEntries(
    (['candles_changed', 'plan_changed', 'data_gap', 'unexplained'] as Cause[]).map((c) => [
      c,
      differences.filter((d) => d.cause === c).length,
    ]),
  ) as Record<Cause, number>;
  return ParityReport.parse({
    ok: causes.unexplained === 0,
    from: w.from.toISOString(),
    to: w.to.toISOString(),
    pipeline_id: w.pipelineId,
    runs: runs.length,
    decisions: {
      checked: identical + differences.length,
      identical,
      different: differences.length,
      unverified: unverified.length,
    },
    causes,
    differences,
    unverified: unverified.slice(0, 50),
    costs: { paper, exchange, suggestion: costSuggestion(exchange) },
  });
}
