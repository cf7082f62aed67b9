import type { BatchQueue } from '../backtest/backtest-batch.ts';
import type { Queryable } from '../store/db.ts';
import type { Boss } from './boss.ts';
import { bossTx } from './boss-tx.ts';
import { failureMessage } from './jobs-repo.ts';
import { QUEUE_SCHEMA } from './queue-ddl.ts';
import { type BacktestJob, backtestJobId, backtestsQueue } from './queues.ts';

/**
 * A distributed backtest batch as jobs on the `backtests` queue, through our connection
 * (pg-boss unstarted): the batch's BatchQueue port. Ids derive from (batch, index), so a
 * symbol is queued once however often its batch is enqueued. A job that failed for good
 * (its retries spent) or was cancelled will never store its backtest: its sentence is the
 * symbol's failure.
 */
export function queueBacktestSink(boss: Boss, q: Queryable): BatchQueue {
  return {
    async enqueue(tasks) {
      const jobs = tasks.map((t) => {
        const data: BacktestJob = { v: 1, ...t };
        return { name: backtestsQueue, id: backtestJobId(t), data };
      });
      await boss.insert(jobs, { db: bossTx(q) });
    },
    async status(tasks) {
      const indexOf = new Map(tasks.map((t) => [backtestJobId(t), t.batch_index]));
      const rows = await q.query<{ id: string; state: string; output: unknown }>(
        `select id::text as id, state::text as state, output from ${QUEUE_SCHEMA}.job
         where name = $1 and id = any($2::uuid[]) and state in ('active', 'failed', 'cancelled')`,
        [backtestsQueue, [...indexOf.keys()]],
      );
      const failed = new Map<number, string>();
      for (const r of rows)
        if (r.state !== 'active')
          failed.set(
            indexOf.get(r.id)!,
            r.state === 'cancelled' ? 'its job was cancelled' : (failureMessage(r.output) ?? 'its job failed'),
          );
      return { failed, running: rows.length - failed.size };
    },
  };
}
