import type { Db } from '../../store/db.ts';
import { type SystemMode, tradingScope, tradingTx } from '../../trading/scope.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { loadLiveAccount } from '../../trading/live-account/live-account-repo.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { decideSymbolJob, settleDeadSymbol } from '../../engine/run/distributed/symbol-job.ts';
import { runTrialJob } from '../../optimise/trial-job.ts';
import { backtestHandler } from './backtest-handler.ts';
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
  const liveBroker = o.mode === 'LIVE' ? workerLiveBroker(db, o.env) : undefined;
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
          const input = { ...p, mode: o.mode, env: o.env, ...(liveBroker ? { liveBroker } : {}) };
          return { result: await decideSymbolJob(db, input, sandbox, who) };
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
  // Last: a backtest is the longest job, and no tick or study waits on it.
  if (o.queues.includes('backtests')) handlers.push(backtestHandler(db, o.env));
  return handlers;
}

/**
 * The worker's live broker, opened once on first use (loading the exchange's markets costs
 * more than a symbol's decision) and shared by its slots; none without a LIVE account. A
 * failed opening is not kept: the next job tries again.
 */
function workerLiveBroker(db: Db, env: NodeJS.ProcessEnv): () => Promise<LiveBroker | undefined> {
  let opened: Promise<LiveBroker | undefined> | undefined;
  return () => {
    opened ??= tradingTx(db, tradingScope('LIVE'), loadLiveAccount).then((account) =>
      account ? liveBrokerFor(db, { env }) : undefined,
    );
    opened.catch(() => (opened = undefined));
    return opened;
  };
}
