import { z } from 'zod';
import { type Db, queryRows } from '../store/db.ts';
import { QUEUE_SCHEMA } from './queue-ddl.ts';

/**
 * How the workers and the job queue are doing, for `trader status` (and its `workers` JSON
 * key): the workers alive (not stopped, a heartbeat within TRADER_WORKER_DEAD_SECONDS) per
 * host, those gone silent without stopping (stale), and the jobs queued, running and failed
 * in the last day. Null on the embedded database and where the queue has no queues: status
 * then shows nothing of it.
 */

/** How long a job may wait for a worker before status calls it stuck. */
export const STUCK_WAIT_SECONDS = 60;

export const QueueHealth = z.object({
  alive: z.number(),
  stale: z.number(),
  hosts: z.array(z.object({ host: z.string(), alive: z.number(), stale: z.number() })),
  jobs: z.object({
    queued: z.number(),
    /** Queued jobs that could have started more than STUCK_WAIT_SECONDS ago. */
    waiting_over_60s: z.number(),
    active: z.number(),
    failed_24h: z.number(),
  }),
});
export type QueueHealth = z.infer<typeof QueueHealth>;

const HostRow = z.object({ host: z.string(), alive: z.number(), stale: z.number() });
const JobCounts = QueueHealth.shape.jobs;

export async function queueHealth(db: Db, deadSeconds: number): Promise<QueueHealth | null> {
  if (db.kind !== 'postgres') return null;
  const [queues] = await db.query<{ n: number | null }>(
    `select case when to_regclass('${QUEUE_SCHEMA}.queue') is null then null
       else (select count(*)::int from ${QUEUE_SCHEMA}.queue) end as n`,
  );
  if (!queues?.n) return null;
  const hosts = await queryRows(
    db,
    HostRow,
    `select host,
       count(*) filter (where heartbeat_at >= now() - make_interval(secs => $1))::int as alive,
       count(*) filter (where heartbeat_at < now() - make_interval(secs => $1))::int as stale
     from queue_workers where stopped_at is null group by host order by host`,
    [deadSeconds],
  );
  const [jobs] = await queryRows(
    db,
    JobCounts,
    `select
       count(*) filter (where state in ('created', 'retry'))::int as queued,
       count(*) filter (where state in ('created', 'retry') and start_after < now() - make_interval(secs => $1))::int
         as waiting_over_60s,
       count(*) filter (where state = 'active')::int as active,
       (count(*) filter (where state = 'failed' and completed_on > now() - interval '24 hours')
        + (select count(*) from ${QUEUE_SCHEMA}.archive
           where archived_on > now() - interval '24 hours' and state = 'failed' and completed_on > now() - interval '24 hours')
       )::int as failed_24h
     from ${QUEUE_SCHEMA}.job`,
    [STUCK_WAIT_SECONDS],
  );
  return {
    alive: hosts.reduce((n, h) => n + h.alive, 0),
    stale: hosts.reduce((n, h) => n + h.stale, 0),
    hosts,
    jobs: jobs!,
  };
}

/** The status line: `3 alive (host-a x2, host-b x1), 1 stale; jobs: 12 queued, 3 active, 0 failed in 24 h`. */
export function workersLine(h: QueueHealth): string {
  const hosts = h.hosts.filter((x) => x.alive > 0).map((x) => `${x.host} x${x.alive}`);
  const alive = `${h.alive} alive${hosts.length > 0 ? ` (${hosts.join(', ')})` : ''}`;
  const stale = h.stale > 0 ? `, ${h.stale} stale` : '';
  return `${alive}${stale}; jobs: ${h.jobs.queued} queued, ${h.jobs.active} active, ${h.jobs.failed_24h} failed in 24 h`;
}

/** The loud lines: jobs nobody takes, and jobs that failed for good in the last day. */
export function workerAlarms(h: QueueHealth): string[] {
  const lines: string[] = [];
  if (h.alive === 0 && h.jobs.waiting_over_60s > 0)
    lines.push(
      `!!! ${count(h.jobs.waiting_over_60s, 'JOB')} WAITING OVER ${STUCK_WAIT_SECONDS} S WITH NO LIVE WORKER !!!`,
      '    start one with `trader worker` on a machine that reaches this database (`trader jobs list` shows the jobs)',
    );
  if (h.jobs.failed_24h > 0)
    lines.push(
      `!!! ${count(h.jobs.failed_24h, 'JOB')} FAILED IN THE LAST 24 H !!!`,
      '    see `trader jobs list --state failed`; put one back with `trader jobs retry <id>`',
    );
  return lines;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 'S'}`;
