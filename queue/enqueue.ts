import { traderEnv } from '../core/env.ts';
import type { JobSink } from '../engine/run/distributed/open-run.ts';
import type { SystemMode } from '../trading/scope.ts';
import type { Boss } from './boss.ts';
import { bossTx } from './boss-tx.ts';
import { runsQueue, type SymbolJob, symbolJobId } from './queues.ts';

/**
 * A distributed run's symbols as jobs on its mode's runs queue, in the caller's transaction.
 * Ids are derived from (run, symbol): enqueueing twice adds nothing. TRADER_QUEUE_EXPIRE_SECONDS
 * (when set) overrides the queue's limit for these jobs: how long a worker may hold one before
 * it is retried elsewhere.
 */
export function queueJobSink(boss: Boss, mode: SystemMode, env: NodeJS.ProcessEnv): JobSink {
  const expire = traderEnv(env).TRADER_QUEUE_EXPIRE_SECONDS;
  return {
    async enqueueSymbols(tx, runId, symbols) {
      const jobs = symbols.map((symbol) => {
        const data: SymbolJob = { v: 1, run_id: runId, symbol };
        return {
          name: runsQueue(mode),
          id: symbolJobId(data),
          data,
          ...(expire > 0 ? { expireInSeconds: expire } : {}),
        };
      });
      await boss.insert(jobs, { db: bossTx(tx) });
    },
  };
}
