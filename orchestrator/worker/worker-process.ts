import { logger } from '../../core/logger.ts';
import { traderEnv } from '../../core/env.ts';
import { unlockForService } from '../../trading/live-account/unlock.ts';
import type { Db } from '../../store/db.ts';
import { interruptSandboxes } from '../../sandbox/sandbox.ts';
import { closeOverdueRuns } from '../../engine/run/distributed/close-run.ts';
import { systemModeFromEnv } from '../../trading/scope.ts';
import { startBoss } from '../../queue/boss.ts';
import type { WorkerQueue } from '../../queue/queues.ts';
import { requirePostgres } from '../../queue/require-postgres.ts';
import { type LoopState, runSlots } from '../../queue/worker-loop.ts';
import { beat, markStopped, newWorkerId, registerWorker, releaseDeadWorkers } from '../../queue/worker-registry.ts';
import { queueHandlers } from './handlers.ts';
import { withRateGate } from '../../market/exchange/rate-gate.ts';
import { sharedGate } from '../../market/exchange/rate-buckets-repo.ts';
import { traderVersion as version } from '../../core/paths.ts';

export interface WorkerOptions {
  concurrency: number;
  queues: WorkerQueue[];
  /** How long SIGTERM lets running jobs finish before releasing them to other workers. */
  graceMs: number;
  env: NodeJS.ProcessEnv;
}

const heartbeatMs = 5_000;

/**
 * `trader worker`: serves the queues until SIGTERM or SIGINT. The first signal stops taking
 * jobs and lets the running ones finish within the grace; what is still running then is
 * released (failed with "released: worker stopping", so another worker retries it at once)
 * and the process exits. A second signal releases at once. Every few seconds it beats in
 * queue_workers, releases the jobs of dead workers and closes distributed runs past their
 * deadline.
 */
export async function runWorker(db: Db, o: WorkerOptions): Promise<number> {
  requirePostgres(db, 'Workers');
  const mode = systemModeFromEnv(o.env);
  // LIVE with an account: its key opened with the key file, as serve and the scheduler do; no file, no start.
  await unlockForService(db, mode, o.env);
  const config = traderEnv(o.env);
  const boss = await startBoss(o.env);
  const workerId = newWorkerId();
  const queues = [...o.queues];
  await registerWorker(db, { worker_id: workerId, mode, queues, concurrency: o.concurrency, version });
  logger.info({ worker_id: workerId, mode, queues, concurrency: o.concurrency }, 'worker started');
  const state: LoopState = { held: new Map(), done: 0, failed: 0, lastError: null };
  // One write at a time, each with the state as it is when it starts, and at most one waiting:
  // the row ends as the worker is without a backlog of writes.
  let beating = Promise.resolve();
  let waiting = false;
  state.onChange = () => {
    if (waiting) return;
    waiting = true;
    beating = beating.then(() => {
      waiting = false;
      return beatNow(db, workerId, state);
    });
  };
  let stopping = false;
  const release = async () => {
    interruptSandboxes('released: worker stopping');
    for (const j of state.held.values())
      await boss.fail(j.queue, j.job_id, { message: 'released: worker stopping' }).catch(() => undefined);
    await markStopped(db, workerId).catch(() => undefined);
    process.exit(0);
  };
  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return void release();
    stopping = true;
    logger.info({ worker_id: workerId, signal, running: state.held.size }, 'worker stopping: finishing running jobs');
    graceTimer = setTimeout(() => void release(), o.graceMs);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const sweep = setInterval(
    () => void housekeeping(db, workerId, state, config.TRADER_WORKER_DEAD_SECONDS),
    heartbeatMs,
  );
  try {
    // Every worker draws from the same exchange allowance (rate_buckets), not one each.
    await withRateGate(sharedGate(db), () =>
      runSlots({
        boss,
        handlers: queueHandlers(db, { mode, queues: o.queues, workerId, env: o.env }),
        concurrency: o.concurrency,
        pollMs: config.TRADER_QUEUE_POLL_MS,
        stopping: () => stopping,
        state,
      }),
    );
  } finally {
    clearInterval(sweep);
    clearTimeout(graceTimer);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await markStopped(db, workerId).catch(() => undefined);
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
  }
  logger.info({ worker_id: workerId, done: state.done, failed: state.failed }, 'worker stopped');
  return 0;
}

/** The worker's row as it is now; a database outage only skips a beat (the job's own statements will say so). */
async function beatNow(db: Db, workerId: string, state: LoopState): Promise<void> {
  await beat(db, workerId, {
    jobs: [...state.held.values()],
    done: state.done,
    failed: state.failed,
    lastError: state.lastError,
  }).catch(() => undefined);
}

/** The heartbeat and the sweeps; a database outage only skips a beat. */
async function housekeeping(db: Db, workerId: string, state: LoopState, deadSeconds: number): Promise<void> {
  try {
    await beatNow(db, workerId, state);
    await releaseDeadWorkers(db, workerId, deadSeconds);
    await closeOverdueRuns(db);
  } catch (e) {
    logger.warn({ worker_id: workerId, err: (e as Error).message }, 'worker heartbeat failed; trying again');
  }
}
