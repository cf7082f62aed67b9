import type { Db } from '../../store/db.ts';
import type { SystemMode } from '../../trading/scope.ts';
import { decideSymbolJob, settleDeadSymbol } from '../../engine/run/distributed/symbol-job.ts';
import { runTrialJob } from '../../optimise/trial-job.ts';
import { StudyDataCache } from '../../optimise/study-data-cache.ts';
import { runsDeadQueue, runsQueue, SymbolJob, TrialJob, trialsQueue, type WorkerQueue } from '../../queue/queues.ts';
import type { FetchedJob, QueueHandler } from '../../queue/worker-loop.ts';
import { TraderError } from '../../core/errors.ts';
import { schemaProblems } from '../../core/schema-problems.ts';

function payload(job: FetchedJob): SymbolJob {
  const parsed = SymbolJob.safeParse(job.data);
  if (!parsed.success)
    throw new TraderError('BAD_INPUT', `${schemaProblems('The job payload is not a symbol job', parsed.error)}.`);
  return parsed.data;
}

function trialPayload(job: FetchedJob): TrialJob {
  const parsed = TrialJob.safeParse(job.data);
  if (!parsed.success)
    throw new TraderError('BAD_INPUT', `${schemaProblems('The job payload is not a trial job', parsed.error)}.`);
  return parsed.data;
}

/** The message a failed job left in its output, for the dead-letter job that carries it. */
const lastError = (output: unknown) =>
  typeof (output as { message?: unknown } | null)?.message === 'string'
    ? (output as { message: string }).message
    : 'its retries were spent';

/** Each queue a worker serves and what its jobs do, in the order the slots take them. */
export function queueHandlers(
  db: Db,
  o: { mode: SystemMode; queues: readonly WorkerQueue[]; workerId: string; env: NodeJS.ProcessEnv },
): QueueHandler[] {
  const handlers: QueueHandler[] = [];
  if (o.queues.includes('runs'))
    handlers.push(
      {
        // A dead letter first: it settles a symbol that failed for good, so its run can close.
        queue: runsDeadQueue(o.mode),
        async handle(job) {
          const p = payload(job);
          const who = { worker_id: o.workerId, attempt: job.attempt };
          return { result: await settleDeadSymbol(db, { ...p, lastError: lastError(job.output) }, who) };
        },
      },
      {
        queue: runsQueue(o.mode),
        async handle(job, sandbox) {
          const p = payload(job);
          const who = { worker_id: o.workerId, attempt: job.attempt };
          return { result: await decideSymbolJob(db, { ...p, mode: o.mode, env: o.env }, sandbox, who) };
        },
      },
    );
  if (o.queues.includes('trials')) {
    // One per worker process, shared by its slots: a study's data is read once, not per trial.
    const studies = new StudyDataCache(db, o.env);
    handlers.push({
      // After the runs: a tick waits on its symbols, a study's batch can wait a moment longer.
      queue: trialsQueue,
      async handle(job, sandbox) {
        const { v: _v, ...task } = trialPayload(job);
        return { result: await runTrialJob(db, task, sandbox, studies) };
      },
    });
  }
  return handlers;
}
