import type { Db } from '../store/db.ts';
import { type BatchTask, taskHooks, taskOptions } from './backtest-batch.ts';
import { batchReports } from './backtest-repo.ts';
import { runBacktest } from './run-backtest.ts';

/** What became of one backtest job: stored here, or stored already (a retry or a duplicate). */
export type BacktestJobResult = 'stored' | 'already_stored';

/**
 * A worker's half of `backtest --each --distributed`: runs one symbol's backtest exactly as
 * `--each` does in the caller's process (runBacktest on the task's options and hooks) and
 * stores it in its slot of the batch. A slot already stored is not replayed again, and the
 * store writes nothing when another attempt stored the slot meanwhile, so a retried or
 * duplicate job stores one backtest. A failure (no candles, an unknown strategy) is thrown:
 * the queue retries it, then keeps its sentence for the waiting caller.
 */
export async function runBacktestJob(db: Db, task: BatchTask, env: NodeJS.ProcessEnv): Promise<BacktestJobResult> {
  if ((await batchReports(db, task.batch_id, [task.batch_index])).size > 0) return 'already_stored';
  const { stored } = await runBacktest(db, taskOptions(task, env), taskHooks(task));
  return stored ? 'stored' : 'already_stored';
}
