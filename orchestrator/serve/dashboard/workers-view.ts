import { z } from 'zod';
import { type Queryable, queryRows } from '../../../store/db.ts';

/**
 * queue_workers as the Workers & jobs page shows them: each worker's state by the rule of
 * `trader status` (alive while it beats within TRADER_WORKER_DEAD_SECONDS, stale when it went
 * silent without stopping, stopped), and how long ago it last beat, by the database's clock
 * (the one that wrote the heartbeats). Workers that stopped more than a day ago are left out.
 */

const WorkerState = z.enum(['alive', 'stale', 'stopped']);

export const WorkerView = z.object({
  worker_id: z.string(),
  host: z.string(),
  pid: z.number(),
  mode: z.string(),
  queues: z.array(z.string()),
  concurrency: z.number(),
  heartbeat_age_s: z.number(),
  current_jobs: z.array(z.object({ queue: z.string(), job_id: z.string() })),
  jobs_done: z.number(),
  jobs_failed: z.number(),
  last_error: z.string().nullable(),
  state: WorkerState,
});
export type WorkerView = z.infer<typeof WorkerView>;

/** Alive ones first, then stale, then stopped; newest first within each. */
export function listWorkers(q: Queryable, deadSeconds: number): Promise<WorkerView[]> {
  return queryRows(
    q,
    WorkerView,
    `select * from (
       select worker_id, host, pid, mode, queues, concurrency,
         greatest(0, extract(epoch from now() - heartbeat_at))::float8 as heartbeat_age_s,
         current_jobs, jobs_done, jobs_failed, last_error,
         case when stopped_at is not null then 'stopped'
              when heartbeat_at >= now() - make_interval(secs => $1) then 'alive'
              else 'stale' end as state,
         started_at
       from queue_workers where stopped_at is null or stopped_at > now() - interval '24 hours') w
     order by case state when 'alive' then 0 when 'stale' then 1 else 2 end, started_at desc
     limit 200`,
    [deadSeconds],
  );
}
