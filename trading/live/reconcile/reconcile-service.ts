import { traderEnv } from '../../../core/env.ts';
import { TraderError, errorMessage } from '../../../core/errors.ts';
import { logger } from '../../../core/logger.ts';
import type { Db } from '../../../store/db.ts';
import { verifyAuditTrail } from '../../audit/audit-verify.ts';
import { heldLiveKeys, type LiveKeys } from '../../live-account/unlock.ts';
import { tradingTx } from '../../scope.ts';
import type { ExchangePort } from '../exchange-port.ts';
import { openLivePort } from '../live-port.ts';
import { finalStates } from '../orders-repo.ts';
import { reconcileAccount, type ReconcileReport } from './reconcile.ts';
import { live } from './reconcile-repo.ts';

/**
 * Reconciliation in long-running LIVE processes (`trader serve`, `trader schedule run`) and
 * at run start: one exchange port per process, signed with the keys it unlocked.
 * - `startupCheck`: before the process accepts work, the audit trail is verified (a broken
 *   chain refuses to start, exit 5) and one cycle runs;
 * - `ifDue`: a cycle every `intervalMs` (TRADER_RECONCILE_SECONDS, 60 by default) while
 *   LIVE holds an open position or an order not settled yet; nothing otherwise.
 * A cycle that fails is logged, never thrown: the market halts carry the consequence.
 */

export interface LiveReconciler {
  cycle(db: Db): Promise<ReconcileReport | null>;
  ifDue(db: Db, now?: Date): Promise<ReconcileReport | null>;
  readonly intervalMs: number;
}

/** Does LIVE hold anything the exchange can change behind trader's back: an open position or an unsettled order? */
export async function holdsOpenLive(db: Db, exchange: string): Promise<boolean> {
  const [row] = await tradingTx(db, live, (tx) =>
    tx.query<{ open: boolean }>(
      `select exists (select 1 from ${live.table('positions')} where exchange = $1 and status = 'open')
           or exists (select 1 from ${live.table('orders')} where exchange = $1 and not (state in (select jsonb_array_elements_text($2::text::jsonb)))) as open`,
      [exchange, JSON.stringify(finalStates)],
    ),
  );
  return row!.open;
}

export function liveReconciler(o: {
  keys: LiveKeys;
  intervalMs: number;
  env?: NodeJS.ProcessEnv;
  /** The port to use (tests); opened from the keys otherwise. */
  port?: ExchangePort;
}): LiveReconciler {
  let port: Promise<ExchangePort> | undefined = o.port ? Promise.resolve(o.port) : undefined;
  let last = 0;
  const cycle = async (db: Db) => {
    port ??= openLivePort(o.keys, o.env);
    try {
      const report = await reconcileAccount(db, await port);
      if (report.outcome !== 'reconciled')
        logger.warn(
          { cycle_id: report.cycle_id, outcome: report.outcome, unexplained: report.unexplained },
          `reconciliation with ${report.exchange}: ${report.outcome === 'halted' ? 'LIVE HALTED by an unexplained difference (trader reconcile)' : 'the exchange could not be reached'}`,
        );
      return report;
    } catch (e) {
      logger.error({ err: errorMessage(e) }, 'reconciliation failed');
      return null;
    } finally {
      last = Date.now();
    }
  };
  return {
    intervalMs: o.intervalMs,
    cycle,
    async ifDue(db, now = new Date()) {
      if (now.getTime() - last < o.intervalMs) return null;
      if (!(await holdsOpenLive(db, o.keys.account.exchange))) return null;
      return cycle(db);
    },
  };
}

let shared: { keys: LiveKeys; reconciler: LiveReconciler } | undefined;

/** The process's reconciler for the keys it unlocked (one exchange port, one interval clock). */
export function processReconciler(keys: LiveKeys, env: NodeJS.ProcessEnv = process.env): LiveReconciler {
  if (shared?.keys !== keys)
    shared = {
      keys,
      reconciler: liveReconciler({ keys, intervalMs: traderEnv(env).TRADER_RECONCILE_SECONDS * 1000, env }),
    };
  return shared.reconciler;
}

/**
 * At every LIVE run start, before deciding: one cycle with the keys this process holds.
 * Without unlocked keys there is no exchange to ask (the run is Observe-only then); null.
 */
export async function reconcileBeforeRun(
  db: Db,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReconcileReport | null> {
  const keys = heldLiveKeys();
  return keys ? processReconciler(keys, env).cycle(db) : null;
}

/** Database against audit trail, then one reconciliation: what serve and schedule run do before they accept work. */
export async function startupCheck(db: Db, reconciler: LiveReconciler | null): Promise<ReconcileReport | null> {
  const verified = await verifyAuditTrail(db);
  if (!verified.ok)
    throw new TraderError(
      'INTEGRITY',
      `The audit trail does not verify (${verified.problems.length} problem(s), first: ${verified.problems[0]!.detail}); run \`trader audit verify\` before trading LIVE.`,
    );
  return reconciler ? reconciler.cycle(db) : null;
}
