import { z } from 'zod';
import type { SystemMode } from '../trading/scope.ts';
import { uuid5 } from '../core/uuid5.ts';
import { BatchTask } from '../backtest/backtest-batch.ts';

/**
 * The queues workers serve and what a job on each carries. A run's symbol jobs are per
 * system mode (`test-runs`, `live-runs`): a worker serves only its own TRADER_SYSTEM_MODE,
 * as the scheduler does. An optimiser trial is a backtest, the same in either mode, so
 * `trials` is one queue, and so is `backtests`. The queues and their limits are created by
 * the migration 20261206100000_job_queue.sql.
 */
export const workerQueues = ['runs', 'trials', 'backtests'] as const;
export const WorkerQueue = z.enum(workerQueues);
export type WorkerQueue = z.infer<typeof WorkerQueue>;

export const runsQueue = (mode: SystemMode) => `${mode.toLowerCase()}-runs`;
export const runsDeadQueue = (mode: SystemMode) => `${runsQueue(mode)}-dead`;

/** One symbol of a distributed run: everything else is on the run's row. */
export const SymbolJob = z.object({ v: z.literal(1), run_id: z.string().uuid(), symbol: z.string().min(1) });
export type SymbolJob = z.infer<typeof SymbolJob>;

/** The same (run, symbol) always gets the same job id, so enqueueing it twice adds one job. */
export const symbolJobId = (j: Pick<SymbolJob, 'run_id' | 'symbol'>) => uuid5(`run.symbol|${j.run_id}|${j.symbol}`);

export const trialsQueue = 'trials';

/** One trial of a distributed study: its point; the rest is in the study's stored request. */
export const TrialJob = z.object({
  v: z.literal(1),
  study_id: z.string().uuid(),
  strategy_id: z.string().min(1),
  window_index: z.number().int().min(0),
  trial_no: z.number().int().min(0),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type TrialJob = z.infer<typeof TrialJob>;

/** The same trial always gets the same job id: a resumed study never queues a trial twice. */
export const trialJobId = (j: Pick<TrialJob, 'study_id' | 'strategy_id' | 'window_index' | 'trial_no'>) =>
  uuid5(`trial|${j.study_id}|${j.strategy_id}|${j.window_index}|${j.trial_no}`);

export const backtestsQueue = 'backtests';

/** One symbol's backtest of a `backtest --each --distributed` batch: its symbol and the batch's shared options. */
export const BacktestJob = BatchTask.extend({ v: z.literal(1) });
export type BacktestJob = z.infer<typeof BacktestJob>;

/** The same slot of a batch always gets the same job id: enqueueing it twice adds one job. */
export const backtestJobId = (j: Pick<BacktestJob, 'batch_id' | 'batch_index'>) =>
  uuid5(`backtest|${j.batch_id}|${j.batch_index}`);
