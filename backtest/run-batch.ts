import type { Db } from '../store/db.ts';
import {
  BatchOptions,
  batchOutcome,
  type BatchOutcome,
  type BatchTask,
  taskHooks,
  taskOptions,
} from './backtest-batch.ts';
import type { BacktestReport } from './report-schema.ts';
import { settleBacktests } from './run-many.ts';
import { checkBacktestOptions, type BacktestOptions } from './backtest-setup.ts';

/**
 * The tasks of a batch over `options.symbols`, in their order. The options are checked for
 * every symbol first, so a bad flag is one sentence before anything runs or is queued.
 */
export function batchTasks(batchId: string, options: BacktestOptions, lookaheadSamples: number): BatchTask[] {
  checkBacktestOptions(options);
  const { symbols, from, to, env: _env, ...shared } = options;
  const common = BatchOptions.parse({ ...shared, from: from.toISOString(), to: to.toISOString(), lookaheadSamples });
  return symbols.map((symbol, batch_index) => ({ batch_id: batchId, batch_index, symbol, options: common }));
}

/**
 * `backtest --each` in this process: the batch's backtests on worker threads, at most
 * `workers` at once (one per core by default). Each stores itself in its slot, as a worker's
 * job does; a symbol that fails is kept with its sentence and the others go on.
 */
export async function runBatchHere(
  db: Db,
  tasks: readonly BatchTask[],
  o: { env: NodeJS.ProcessEnv; workers?: number; onProgress?: (done: number, total: number) => void },
): Promise<BatchOutcome> {
  let done = 0;
  const settled = await settleBacktests(
    db,
    tasks.map((t) => taskOptions(t, o.env)),
    {
      workers: o.workers,
      hooks: (i) => taskHooks(tasks[i]!),
      onSettled: () => o.onProgress?.(++done, tasks.length),
    },
  );
  const reports = new Map<number, BacktestReport>();
  const errors = new Map<number, string>();
  settled.forEach((s, i) => {
    if ('result' in s) reports.set(tasks[i]!.batch_index, s.result.report);
    else errors.set(tasks[i]!.batch_index, s.error.message);
  });
  return batchOutcome(tasks, reports, errors);
}
