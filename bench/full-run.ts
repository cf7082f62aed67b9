import { defaultPipelineId } from '../registry/default-pack.ts';
import { runPipeline } from '../engine/run/run-pipeline.ts';
import type { RunSummary } from '../engine/run/run-summary.ts';
import type { Db } from '../store/db.ts';
import { asOf, benchEnv, exchange, timeframe } from './fixtures.ts';
import { timeRepeated } from './stats.ts';

/** One runPipeline call with the CLI's defaults (history 500, min bars 100, equity 10000) on the default pipeline. */
export function runOnce(db: Db, symbols: string[]): Promise<RunSummary> {
  return runPipeline(db, {
    symbols,
    pipelineId: defaultPipelineId,
    strategyId: null,
    exchange,
    timeframe,
    asOf,
    trigger: 'bench',
    triggerRef: null,
    historyBars: 500,
    minBars: 100,
    offline: true,
    env: benchEnv,
  });
}

export interface FullRunResult {
  ms: number[];
  /** Outcome counts of the last run, e.g. { trade_intent: 10, no_trade: 30, blocked: 10 }. */
  outcomes: Record<string, number>;
}

export async function measureFullRun(db: Db, symbols: string[], reps: number, warmup: number): Promise<FullRunResult> {
  let last: RunSummary | undefined;
  const ms = await timeRepeated(reps, warmup, async () => {
    last = await runOnce(db, symbols);
    if (last.status !== 'succeeded')
      throw new Error(`bench run ${last.run_id} ended ${last.status}: ${JSON.stringify(last.errors.slice(0, 3))}`);
  });
  const outcomes: Record<string, number> = {};
  for (const s of last!.symbols) outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1;
  return { ms, outcomes };
}
