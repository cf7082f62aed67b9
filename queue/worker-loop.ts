import { setTimeout as sleep } from 'node:timers/promises';
import { toTraderError } from '../core/errors.ts';
import { logger } from '../core/logger.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import type { Boss } from './boss.ts';
import type { HeldJob } from './worker-registry.ts';

/** A job as a handler gets it. `attempt` counts from 1 (a retry after a killed worker is 2). */
export interface FetchedJob {
  id: string;
  queue: string;
  data: unknown;
  attempt: number;
  /** The last failure's output (a dead-letter job carries its job's). */
  output: unknown;
}

/** What one queue's jobs do; `handle` resolves to the job's output or throws its failure. */
export interface QueueHandler {
  queue: string;
  handle(job: FetchedJob, sandbox: Sandbox): Promise<object>;
}

/** The loop's state, read by the heartbeat. */
export interface LoopState {
  held: Map<string, HeldJob>;
  done: number;
  failed: number;
  lastError: string | null;
  /**
   * Called when a job is taken or let go, so the worker's row shows what it holds (a dead
   * worker's jobs are released from it). Not awaited: the job does not wait for the write.
   */
  onChange?: () => void;
}

/**
 * `concurrency` slots, each with its own sandbox, each taking one job at a time from the
 * handlers' queues in order (the first queue's jobs first) and completing or failing it with
 * one sentence (never a stack). pg-boss 10's own `work()` has no concurrency, hence this loop
 * over `fetch()`. When `stopping()` turns true the slots take no new job and return once
 * their job is done.
 */
export async function runSlots(o: {
  boss: Boss;
  handlers: QueueHandler[];
  concurrency: number;
  pollMs: number;
  stopping: () => boolean;
  state: LoopState;
}): Promise<void> {
  await Promise.all(Array.from({ length: o.concurrency }, () => slot(o)));
}

async function slot(o: Parameters<typeof runSlots>[0]): Promise<void> {
  let sandbox = new Sandbox();
  try {
    while (!o.stopping()) {
      const next = await fetchNext(o.boss, o.handlers);
      if (!next) {
        await sleep(o.pollMs);
        continue;
      }
      await runJob(o, next.handler, next.job, sandbox);
      // A module that ran past its limit had its sandbox's thread ended: the next job gets a fresh one.
      if (!sandbox.reusable) {
        await sandbox.close();
        sandbox = new Sandbox();
      }
    }
  } finally {
    await sandbox.close();
  }
}

async function fetchNext(boss: Boss, handlers: QueueHandler[]) {
  for (const handler of handlers) {
    // fetch() answers [] when the database is unreachable: the slot then waits a poll and tries again.
    const [job] = await boss.fetch<unknown>(handler.queue, { batchSize: 1, includeMetadata: true });
    if (job)
      return {
        handler,
        job: {
          id: job.id,
          queue: handler.queue,
          data: job.data,
          attempt: job.retryCount + 1,
          output: job.output ?? null,
          startedOn: job.startedOn,
        },
      };
  }
  return undefined;
}

async function runJob(
  o: Parameters<typeof runSlots>[0],
  handler: QueueHandler,
  job: FetchedJob & { startedOn: Date },
  sandbox: Sandbox,
): Promise<void> {
  o.state.held.set(job.id, { queue: job.queue, job_id: job.id, started_on: new Date(job.startedOn).toISOString() });
  o.state.onChange?.();
  try {
    const output = await handler.handle(job, sandbox);
    await o.boss.complete(job.queue, job.id, output);
    o.state.done++;
  } catch (e) {
    const message = toTraderError(e).message;
    o.state.failed++;
    o.state.lastError = message;
    logger.warn({ queue: job.queue, job_id: job.id, attempt: job.attempt }, `job failed: ${message}`);
    // When even this fails (the database is gone), the job's expiry retries it.
    await o.boss.fail(job.queue, job.id, { message }).catch(() => undefined);
  } finally {
    o.state.held.delete(job.id);
    o.state.onChange?.();
  }
}
