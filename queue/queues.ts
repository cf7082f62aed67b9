import { z } from 'zod';
import type { SystemMode } from '../trading/scope.ts';
import { uuid5 } from '../core/uuid5.ts';

/**
 * The queues workers serve and what a job on each carries. A run's symbol jobs are per
 * system mode (`test-runs`, `live-runs`): a worker serves only its own TRADER_SYSTEM_MODE,
 * as the scheduler does. The queues and their limits are created by the migration
 * 20261206100000_job_queue.sql.
 */
export const workerQueues = ['runs'] as const;
export const WorkerQueue = z.enum(workerQueues);
export type WorkerQueue = z.infer<typeof WorkerQueue>;

export const runsQueue = (mode: SystemMode) => `${mode.toLowerCase()}-runs`;
export const runsDeadQueue = (mode: SystemMode) => `${runsQueue(mode)}-dead`;

/** One symbol of a distributed run: everything else is on the run's row. */
export const SymbolJob = z.object({ v: z.literal(1), run_id: z.string().uuid(), symbol: z.string().min(1) });
export type SymbolJob = z.infer<typeof SymbolJob>;

/** The same (run, symbol) always gets the same job id, so enqueueing it twice adds one job. */
export const symbolJobId = (j: Pick<SymbolJob, 'run_id' | 'symbol'>) => uuid5(`run.symbol|${j.run_id}|${j.symbol}`);
