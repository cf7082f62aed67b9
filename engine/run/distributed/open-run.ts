import { traderEnv } from '../../../core/env.ts';
import { logger } from '../../../core/logger.ts';
import type { Db, Queryable } from '../../../store/db.ts';
import { withLiveAccount } from '../../../trading/live/exchange-section.ts';
import { systemModeFromEnv, tradingScope, type TradingScope } from '../../../trading/scope.ts';
import { beginRun, failingRun } from '../run-pipeline.ts';
import type { RunOptions } from '../run-summary.ts';

/** Where a distributed run's symbol jobs go (queue/enqueue.ts): enqueued in the caller's transaction. */
export interface JobSink {
  enqueueSymbols(tx: Queryable, runId: string, symbols: readonly string[]): Promise<void>;
}

/**
 * Opens a distributed run: everything a local run does before its first symbol (checks,
 * plans, the run lock, the trading prelude), then, in one transaction, the run's head and
 * deadline on its row and one job per symbol: both commit or neither. Workers decide the
 * symbols; the last of them closes the run (close-run.ts). Returns the run id at once. In
 * LIVE the workers send each symbol's orders under that market's order lease.
 */
export async function openDistributedRun(db: Db, o: RunOptions, sink: JobSink): Promise<string> {
  const scope = tradingScope(systemModeFromEnv(o.env));
  // LIVE: the prelude (recovery, supervision, a halt's action) holds the whole account, as a local run does.
  return scope.mode === 'LIVE'
    ? withLiveAccount(db, { label: `opening a run of ${o.pipelineId}`, env: o.env }, () => open(db, scope, o, sink))
    : open(db, scope, o, sink);
}

async function open(db: Db, scope: TradingScope, o: RunOptions, sink: JobSink): Promise<string> {
  const { head } = await beginRun(db, scope, o, true);
  const timeoutSeconds = traderEnv(o.env).TRADER_DISTRIBUTED_RUN_TIMEOUT_SECONDS;
  await failingRun(db, { run_id: head.run_id, mode: scope.mode }, () =>
    db.transaction(async (tx) => {
      await tx.query(
        `update pipeline_runs set prelude = $2, deadline_at = now() + make_interval(secs => $3), heartbeat_at = now()
         where run_id = $1`,
        [head.run_id, head, timeoutSeconds],
      );
      await sink.enqueueSymbols(tx, head.run_id, o.symbols);
    }),
  );
  logger.info({ run_id: head.run_id, symbols: o.symbols.length }, 'distributed run opened: symbols enqueued');
  return head.run_id;
}
