import os from 'node:os';
import { TraderError, toTraderError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import type { BacktestOptions } from './backtest-setup.ts';
import { runBacktest, type BacktestHooks, type BacktestResult } from './run-backtest.ts';

/** One backtest per core by default: each replay runs on a worker thread of its own. */
export const defaultWorkers = (): number => Math.max(1, os.availableParallelism());

/**
 * Calls `work` for each index in order, at most `workers` at once; once one answers false
 * no new index starts (those running finish).
 */
async function inLanes(count: number, workers: number, work: (index: number) => Promise<boolean>): Promise<void> {
  if (!Number.isInteger(workers) || workers < 1)
    throw new TraderError('BAD_INPUT', `Workers must be a whole number of at least 1, not ${workers}.`);
  let next = 0;
  let going = true;
  const lane = async () => {
    while (going && next < count) if (!(await work(next++))) going = false;
  };
  await Promise.all(Array.from({ length: Math.min(workers, count) }, lane));
}

/**
 * Independent backtests (several strategies, several markets each on its own account, a
 * parameter grid), at most `workers` at once. Each replay runs entirely in its own module
 * worker thread (replay-loop.ts), so they use as many cores as there are workers while
 * this thread only reads candles before and saves results after. Results come in the
 * order given. After a failure no new backtest starts; the first failure is thrown once
 * the running ones have ended (each saves whole or nothing).
 */
export async function runBacktests(
  db: Db,
  list: readonly BacktestOptions[],
  o: {
    workers?: number;
    onStart?: (index: number) => void;
    onDone?: (index: number, result: BacktestResult) => void;
  } = {},
): Promise<BacktestResult[]> {
  const results: BacktestResult[] = new Array(list.length);
  let failed: { error: unknown } | null = null;
  await inLanes(list.length, o.workers ?? defaultWorkers(), async (i) => {
    try {
      o.onStart?.(i);
      results[i] = await runBacktest(db, list[i]!);
      o.onDone?.(i, results[i]);
      return true;
    } catch (error) {
      failed ??= { error };
      return false;
    }
  });
  if (failed) throw (failed as { error: unknown }).error;
  return results;
}

/** What became of one backtest of a settled list: its result, or the sentence it failed with. */
export type Settled = { result: BacktestResult } | { error: TraderError };

/**
 * Backtests that are each worth having whatever the others do (`backtest --each`): as
 * runBacktests, but a failure is kept as that backtest's outcome and the others go on. Only
 * a stop (SIGINT, SIGTERM) ends the list early, thrown once the running ones have ended.
 * `hooks` gives each its own (its slot of a batch).
 */
export async function settleBacktests(
  db: Db,
  list: readonly BacktestOptions[],
  o: { workers?: number; hooks?: (index: number) => BacktestHooks; onSettled?: (index: number) => void } = {},
): Promise<Settled[]> {
  const outcomes: Settled[] = new Array(list.length);
  let stopped: TraderError | null = null;
  await inLanes(list.length, o.workers ?? defaultWorkers(), async (i) => {
    try {
      outcomes[i] = { result: await runBacktest(db, list[i]!, o.hooks?.(i)) };
    } catch (e) {
      const error = toTraderError(e);
      if (error.code === 'INTERRUPTED') {
        stopped ??= error;
        return false;
      }
      outcomes[i] = { error };
    }
    o.onSettled?.(i);
    return true;
  });
  if (stopped) throw stopped;
  return outcomes;
}
