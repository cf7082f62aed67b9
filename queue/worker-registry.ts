import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { logger } from '../core/logger.ts';
import { type Queryable, queryRows } from '../store/db.ts';
import { isAlive } from '../store/lock-file.ts';
import type { SystemMode } from '../trading/scope.ts';
import { QUEUE_SCHEMA } from './queue-ddl.ts';

/**
 * queue_workers: every worker process registers, then beats every few seconds with the jobs
 * it holds. `trader status` and the dashboard read it; the other workers use it to release a
 * dead worker's jobs at once instead of after their expiry.
 */

export interface HeldJob {
  queue: string;
  job_id: string;
  started_on: string;
}

export const newWorkerId = () => `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export async function registerWorker(
  q: Queryable,
  w: { worker_id: string; mode: SystemMode; queues: string[]; concurrency: number; version: string },
): Promise<void> {
  await q.query(
    `insert into queue_workers (worker_id, host, pid, mode, queues, concurrency, version) values ($1, $2, $3, $4, $5, $6, $7)`,
    [w.worker_id, os.hostname(), process.pid, w.mode, w.queues, w.concurrency, w.version],
  );
}

export async function beat(
  q: Queryable,
  workerId: string,
  s: { jobs: HeldJob[]; done: number; failed: number; lastError: string | null },
): Promise<void> {
  await q.query(
    `update queue_workers set heartbeat_at = now(), current_jobs = $2, jobs_done = $3, jobs_failed = $4, last_error = $5
     where worker_id = $1`,
    [workerId, s.jobs, s.done, s.failed, s.lastError],
  );
}

export async function markStopped(q: Queryable, workerId: string): Promise<void> {
  await q.query(`update queue_workers set stopped_at = now(), current_jobs = '[]' where worker_id = $1`, [workerId]);
}

const Silent = z.object({
  worker_id: z.string(),
  host: z.string(),
  pid: z.number(),
  current_jobs: z.array(z.object({ queue: z.string(), job_id: z.string(), started_on: z.string() })),
  silent: z.boolean(),
});

/**
 * A worker is dead when it stopped beating for `deadSeconds`, or it ran on this host and its
 * process is gone. Its active jobs get an expiry of zero, so the queue's next maintenance fails
 * them as timed out and they retry on a live worker (a decided symbol's retry writes nothing).
 * The started_on guard leaves alone an attempt another worker has already taken again.
 */
export async function releaseDeadWorkers(q: Queryable, selfId: string, deadSeconds: number): Promise<number> {
  const rows = await queryRows(
    q,
    Silent,
    `select worker_id, host, pid, current_jobs, heartbeat_at < now() - make_interval(secs => $2) as silent
     from queue_workers where stopped_at is null and worker_id <> $1`,
    [selfId, deadSeconds],
  );
  let released = 0;
  for (const w of rows) {
    const dead = w.silent || (w.host === os.hostname() && !isAlive(w.pid));
    if (!dead) continue;
    for (const j of w.current_jobs) {
      const hit = await q.query(
        `update ${QUEUE_SCHEMA}.job set expire_in = interval '0' where name = $1 and id = $2 and state = 'active' and abs(extract(epoch from started_on - $3::timestamptz)) < 0.002 returning id`,
        [j.queue, j.job_id, j.started_on],
      );
      released += hit.length;
    }
    await q.query(
      `update queue_workers set stopped_at = now(), current_jobs = '[]', last_error = coalesce(last_error, $2) where worker_id = $1`,
      [w.worker_id, w.silent ? 'presumed dead: no heartbeat' : 'dead: its process is gone'],
    );
    logger.warn({ worker_id: w.worker_id, jobs: w.current_jobs.length }, 'released the jobs of a dead worker');
  }
  return released;
}
