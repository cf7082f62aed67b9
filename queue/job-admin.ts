import { TraderError } from '../core/errors.ts';
import type { Db, Queryable } from '../store/db.ts';
import type { AuditEntryInput } from '../trading/audit/audit-entry.ts';
import { recordAudit } from '../trading/audit/audit-log.ts';
import { systemModeFromEnv } from '../trading/scope.ts';
import { queueClient } from './boss.ts';
import { bossTx } from './boss-tx.ts';
import { getJob, jobId, type JobRow, type JobState, lockLiveJob } from './jobs-repo.ts';
import { SymbolJob } from './queues.ts';
import { requirePostgres } from './require-postgres.ts';

/**
 * `trader jobs retry` and `trader jobs cancel`: pg-boss's own retry, resume and cancel, run
 * through our connection (`{ db: bossTx(tx) }`, pg-boss unstarted) in one transaction with
 * the job's row locked and the audit row (JOB_RETRIED, JOB_CANCELLED): both happen or neither.
 */

type Actor = AuditEntryInput['actor'];

const retryable: readonly JobState[] = ['failed', 'cancelled'];
const cancellable: readonly JobState[] = ['created', 'retry', 'active'];

export interface JobChange {
  /** The state before the change. */
  from: JobState;
  job: JobRow;
}

/** The job's live row, locked; an archived job (finished, moved aside) or an unknown id gets its sentence. */
async function lockedJob(tx: Queryable, id: string, verb: 'retried' | 'cancelled') {
  const live = await lockLiveJob(tx, id);
  if (live) return live;
  const archived = await getJob(tx, id);
  throw new TraderError(
    'BAD_INPUT',
    `Job ${archived.id} is ${archived.state} and was archived at ${archived.archived_on!.toISOString()}; an archived job cannot be ${verb}.`,
  );
}

/** A run's symbol job is retried only while its run is open: a closed run's summary is final. */
async function checkRunOpen(tx: Queryable, data: unknown): Promise<void> {
  const symbol = SymbolJob.safeParse(data);
  if (!symbol.success) return;
  const [run] = await tx.query<{ status: string }>('select status from pipeline_runs where run_id = $1', [
    symbol.data.run_id,
  ]);
  if (!run) throw new TraderError('BAD_INPUT', `Run ${symbol.data.run_id} no longer exists; start a new run.`);
  if (run.status !== 'running')
    throw new TraderError('BAD_INPUT', `Run ${symbol.data.run_id} is closed; start a new run.`);
}

function audit(tx: Queryable, action_type: string, actor: Actor, env: NodeJS.ProcessEnv, from: JobState, job: JobRow) {
  return recordAudit(tx, {
    mode: systemModeFromEnv(env),
    actor,
    action_type,
    status: 'SUCCESS',
    entity_type: 'job',
    entity_id: job.id,
    details: { job_id: job.id, queue: job.queue, from, to: job.state },
  });
}

/**
 * Puts a failed or cancelled job back on its queue: a failed one as `retry` (pg-boss's retry,
 * which grants it one more attempt), a cancelled one as `created` (its resume). A symbol job
 * whose run is closed is refused.
 */
export async function retryJob(
  db: Db,
  id: string,
  actor: Actor,
  env: NodeJS.ProcessEnv = process.env,
): Promise<JobChange> {
  requirePostgres(db, 'Jobs');
  jobId(id);
  const boss = queueClient(env);
  return db.transaction(async (tx) => {
    const { queue, state } = await lockedJob(tx, id, 'retried');
    if (!retryable.includes(state))
      throw new TraderError(
        'BAD_INPUT',
        `Job ${jobId(id)} is in state ${state}; only failed or cancelled jobs can be retried.`,
      );
    const before = await getJob(tx, id);
    await checkRunOpen(tx, before.data);
    if (state === 'failed') await boss.retry(queue, before.id, { db: bossTx(tx) });
    else await boss.resume(queue, before.id, { db: bossTx(tx) });
    const job = await changed(tx, before, 'retried');
    await audit(tx, 'JOB_RETRIED', actor, env, state, job);
    return { from: state, job };
  });
}

/**
 * Cancels a job that has not finished: a waiting one is never taken, a running one's result
 * is dropped (its worker's complete or fail finds it cancelled and changes nothing).
 */
export async function cancelJob(
  db: Db,
  id: string,
  actor: Actor,
  env: NodeJS.ProcessEnv = process.env,
): Promise<JobChange> {
  requirePostgres(db, 'Jobs');
  jobId(id);
  const boss = queueClient(env);
  return db.transaction(async (tx) => {
    const { queue, state } = await lockedJob(tx, id, 'cancelled');
    if (!cancellable.includes(state))
      throw new TraderError(
        'BAD_INPUT',
        `Job ${jobId(id)} is in state ${state}; only created, retry or active jobs can be cancelled.`,
      );
    const before = await getJob(tx, id);
    await boss.cancel(queue, before.id, { db: bossTx(tx) });
    const job = await changed(tx, before, 'cancelled');
    await audit(tx, 'JOB_CANCELLED', actor, env, state, job);
    return { from: state, job };
  });
}

/** The job after pg-boss's statement, which must have changed its state (the row is locked, so it does). */
async function changed(tx: Queryable, before: JobRow, verb: string): Promise<JobRow> {
  const after = await getJob(tx, before.id);
  if (after.state === before.state)
    throw new TraderError('INTERNAL', `Job ${before.id} stayed ${before.state}: the queue did not let it be ${verb}.`);
  return after;
}
