import { setTimeout as sleep } from 'node:timers/promises';
import { TraderError } from '../core/errors.ts';
import { logger } from '../core/logger.ts';
import { isConnectionLost } from '../store/connection-lost.ts';
import type { Db } from '../store/db.ts';
import { throwIfStopping } from '../sandbox/stop.ts';
import { storedTrialsOf, type TrialRow } from './study-repo.ts';
import type { TrialQueue, TrialTask } from './trial-queue.ts';

export interface TrialWait {
  pollMs?: number;
  /** How long the database may be unreachable (a restart) before the wait gives up. */
  outageMs?: number;
  /** How long without a stored trial before a warning says workers may be missing. */
  quietMs?: number;
}

/**
 * Waits until workers have stored every trial of `tasks` (one window's batch), calling
 * `stored` with each as it appears. Polls optimiser_trials, rides out a database restart as
 * a distributed run's waiter does (engine/run/distributed/wait-run.ts), stops on SIGINT or
 * SIGTERM (the jobs stay queued: a resumed study finds what they stored), and gives up with
 * the job's own failure when one can never store its trial.
 */
export async function waitForTrials(
  db: Db,
  queue: TrialQueue,
  tasks: readonly TrialTask[],
  stored: (row: TrialRow) => void,
  o: TrialWait = {},
): Promise<void> {
  const pollMs = o.pollMs ?? 200;
  const outageMs = o.outageMs ?? 120_000;
  const quietMs = o.quietMs ?? 60_000;
  const first = tasks[0]!;
  const at = {
    strategy_id: first.strategy_id,
    window_index: first.window_index,
    trial_nos: tasks.map((t) => t.trial_no),
  };
  const seen = new Set<number>();
  let lastContact = Date.now();
  let lastStored = Date.now();
  let warned = false;
  while (seen.size < tasks.length) {
    throwIfStopping();
    try {
      for (const row of await storedTrialsOf(db, first.study_id, at))
        if (!seen.has(row.trial_no)) {
          seen.add(row.trial_no);
          lastStored = Date.now();
          stored(row);
        }
      if (seen.size < tasks.length)
        await giveUpOnFailure(
          queue,
          tasks.filter((t) => !seen.has(t.trial_no)),
        );
      lastContact = Date.now();
    } catch (e) {
      if (!isConnectionLost(e) || Date.now() - lastContact > outageMs) throw e;
      logger.warn({ study_id: first.study_id }, 'database unreachable while waiting for trials; trying again');
    }
    if (!warned && Date.now() - lastStored > quietMs) {
      warned = true;
      logger.warn(
        { study_id: first.study_id, waiting: tasks.length - seen.size },
        'no trial stored for a minute: is a `trader worker` serving the trials queue running?',
      );
    }
    if (seen.size < tasks.length) await sleep(pollMs);
  }
}

async function giveUpOnFailure(queue: TrialQueue, waiting: readonly TrialTask[]): Promise<void> {
  const why = await queue.failure(waiting);
  if (why === null) return;
  const t = waiting[0]!;
  throw new TraderError(
    'TRANSIENT',
    `A trial of ${t.strategy_id} (window ${t.window_index + 1}) could not run on the workers: ${why}; fix that, then continue with \`trader optimise --resume ${t.study_id} --distributed\`.`,
  );
}
