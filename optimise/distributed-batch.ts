import type { Db } from '../store/db.ts';
import type { RunBatch } from './fit-window.ts';
import type { TrialQueue } from './trial-queue.ts';
import { waitForTrials, type TrialWait } from './wait-trials.ts';

/**
 * A window's batches as jobs for `trader worker`: each trial of the batch is enqueued, the
 * workers evaluate and store it (optimise/trial-job.ts), and the batch ends when all its rows
 * are in optimiser_trials. The coordinator proposes the next batch from those rows, exactly
 * as from trials it ran itself.
 */
export function queueBatch(
  db: Db,
  queue: TrialQueue,
  at: { study_id: string; strategy_id: string; window_index: number },
  wait: TrialWait = {},
): RunBatch {
  return async (batch, stored) => {
    const tasks = batch.map((t) => ({ ...at, trial_no: t.trial_no, params: t.params }));
    await queue.enqueue(tasks);
    await waitForTrials(db, queue, tasks, stored, wait);
  };
}
