import type { TrialQueue } from '../optimise/trial-queue.ts';
import type { Queryable } from '../store/db.ts';
import type { Boss } from './boss.ts';
import { bossTx } from './boss-tx.ts';
import { failureMessage } from './jobs-repo.ts';
import { QUEUE_SCHEMA } from './queue-ddl.ts';
import { type TrialJob, trialJobId, trialsQueue } from './queues.ts';

/**
 * A distributed study's trials as jobs on the `trials` queue, through our connection (pg-boss
 * unstarted): the optimiser's TrialQueue port. Ids derive from (study, strategy, window,
 * trial), so a trial is queued once however often its batch is enqueued; a job that failed
 * for good or was cancelled is put back (pg-boss's retry and resume, which touch only jobs
 * in those states), so `optimise --resume --distributed` runs it again.
 */
export function queueTrialSink(boss: Boss, q: Queryable): TrialQueue {
  const db = { db: bossTx(q) };
  return {
    async enqueue(tasks) {
      const jobs = tasks.map((t) => {
        const data: TrialJob = { v: 1, ...t };
        return { name: trialsQueue, id: trialJobId(data), data };
      });
      await boss.insert(jobs, db);
      const ids = jobs.map((j) => j.id);
      await boss.retry(trialsQueue, ids, db);
      await boss.resume(trialsQueue, ids, db);
    },
    async failure(tasks) {
      const [row] = await q.query<{ state: string; output: unknown }>(
        `select state::text as state, output from ${QUEUE_SCHEMA}.job
         where name = $1 and id = any($2::uuid[]) and state in ('failed', 'cancelled') limit 1`,
        [trialsQueue, tasks.map(trialJobId)],
      );
      if (!row) return null;
      return row.state === 'cancelled' ? 'its job was cancelled' : (failureMessage(row.output) ?? 'its job failed');
    },
  };
}
