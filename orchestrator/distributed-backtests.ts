import type { BatchQueue } from '../backtest/backtest-batch.ts';
import type { Db } from '../store/db.ts';
import { queueBacktestSink } from '../queue/backtest-jobs.ts';
import { queueClient } from '../queue/boss.ts';
import { requirePostgres } from '../queue/require-postgres.ts';

/**
 * `backtest --each --distributed`: the batch's backtests go to the `backtests` queue for
 * `trader worker` processes. Refused on the embedded database before anything is queued. No
 * LIVE refusal: a backtest runs on the TEST settings in either mode and places no order.
 */
export function distributedBacktests(db: Db, env: NodeJS.ProcessEnv): BatchQueue {
  requirePostgres(db, 'Distributed backtests');
  return queueBacktestSink(queueClient(env), db);
}
