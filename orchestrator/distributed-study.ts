import type { TrialQueue } from '../optimise/trial-queue.ts';
import type { Db } from '../store/db.ts';
import { queueClient } from '../queue/boss.ts';
import { requirePostgres } from '../queue/require-postgres.ts';
import { queueTrialSink } from '../queue/trial-jobs.ts';

/**
 * `optimise --distributed`: the trials of the study go to the `trials` queue for `trader
 * worker` processes. Refused on the embedded database before anything is planned. No LIVE
 * refusal as for runs: a trial is a backtest on the TEST settings (backtest-setup.ts) in
 * either mode, it places no order.
 */
export function distributedTrials(db: Db, env: NodeJS.ProcessEnv): TrialQueue {
  requirePostgres(db, 'Distributed studies');
  return queueTrialSink(queueClient(env), db);
}
