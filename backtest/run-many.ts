import os from 'node:os';
import { TraderError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import type { BacktestOptions } from './backtest-setup.ts';
import { runBacktest, type BacktestResult } from './run-backtest.ts';

/** One backtest per core by default: each replay runs on a worker thread of its own. */
export const defaultWorkers = (): number => Math.max(1, os.availableParallelism());

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
  const workers = o.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1)
    throw new TraderError('BAD_INPUT', `Workers must be a whole number of at least 1, not ${workers}.`);
  const results: BacktestResult[] = new Array(list.length);
  let next = 0;
  let failed: { error: unknown } | null = null;
  const lane = async () => {
    while (!failed && next < list.length) {
      const i = next++;
      try {
        o.onStart?.(i);
        results[i] = await runBacktest(db, list[i]!);
        o.onDone?.(i, results[i]);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, list.length) }, lane));
  if (failed) throw (failed as { error: unknown }).error;
  return results;
}
