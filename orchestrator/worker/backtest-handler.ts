import { TraderError } from '../../core/errors.ts';
import { schemaProblems } from '../../core/schema-problems.ts';
import { runBacktestJob } from '../../backtest/backtest-job.ts';
import { BacktestJob, backtestsQueue } from '../../queue/queues.ts';
import type { QueueHandler } from '../../queue/worker-loop.ts';
import type { Db } from '../../store/db.ts';

/**
 * The `backtests` queue: one symbol's backtest of a `backtest --each --distributed` batch.
 * The payload is checked before anything runs (a job written by hand or by another version
 * fails with one sentence); the replay runs in a module worker of its own, as `--each` does
 * in the caller's process, so the slot's sandbox is not used.
 */
export function backtestHandler(db: Db, env: NodeJS.ProcessEnv): QueueHandler {
  return {
    queue: backtestsQueue,
    async handle(job) {
      const parsed = BacktestJob.safeParse(job.data);
      if (!parsed.success)
        throw new TraderError('BAD_INPUT', `${schemaProblems('The job payload is not a backtest job', parsed.error)}.`);
      const { v: _v, ...task } = parsed.data;
      return { result: await runBacktestJob(db, task, env) };
    },
  };
}
