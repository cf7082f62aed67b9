import { traderEnv } from '../../../core/env.ts';
import { TraderError, errorMessage, isTraderError } from '../../../core/errors.ts';
import { logger } from '../../../core/logger.ts';
import type { Db } from '../../../store/db.ts';
import { verifyAuditTrail } from '../../audit/audit-verify.ts';
import { heldLiveKeys, type LiveKeys } from '../../live-account/unlock.ts';
import { tradingTx } from '../../scope.ts';
import type { ExchangePort } from '../exchange-port.ts';
import { withLiveAccount } from '../exchange-section.ts';
import { liveBroker } from '../live-broker.ts';
import { openLivePort } from '../live-port.ts';
import { recoverAndSupervise } from '../recover-and-supervise.ts';
import { finalStates } from '../orders-repo.ts';
import { reconcileAccount, type ReconcileReport } from './reconcile.ts';
import { live } from './reconcile-repo.ts';

/**
 * Reconciliation in long-running LIVE processes (`trader serve`, `trader schedule run`) and
 * at run start: one exchange port per process, signed with the keys it unlocked.
 * - `startupCheck`: before the process accepts work, the audit trail is verified (a broken
 *   chain refuses to start, exit 5) and one cycle runs;
 * - `ifDue` (serve and schedule run between runs): every `intervalMs` (TRADER_RECONCILE_SECONDS,
 *   60 by default) while LIVE holds an open position or an order not settled yet, what a
 *   run does before deciding: unsettled orders recovered, open positions supervised (a stop
 *   hit booked, a gapped stop closed at market, an unprotected position protected), then a
 *   cycle. Skipped while a LIVE run is in progress (the run does the same at its start): in
 *   this process the exchange section orders them, and a run of another process is seen
 *   by its running row.
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

/** Is a pipeline run of any process in progress (running, with a heartbeat within the stale limit)? */
async function runInProgress(db: Db, env: NodeJS.ProcessEnv): Promise<boolean> {
  const [row] = await db.query<{ running: boolean }>(
    `select exists (select 1 from pipeline_runs where status = 'running'
       and heartbeat_at > now() - make_interval(secs => $1)) as running`,
    [traderEnv(env).TRADER_RUN_STALE_SECONDS],
  );
  return row!.running;
}

export function liveReconciler(o: {
  exchange: string;
  intervalMs: number;
  /** Opens the exchange port once, when first needed. */
  openPort: () => Promise<ExchangePort>;
  env?: NodeJS.ProcessEnv;
}): LiveReconciler {
  let port: Promise<ExchangePort> | undefined;
  const portOnce = () => (port ??= o.openPort());
  let last = 0;
  const cycle = async (db: Db) => {
    try {
      const opened = await portOnce();
      const report = await reconcileAccount(db, opened);
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
      if (!(await holdsOpenLive(db, o.exchange))) return null;
      const section = withLiveAccount(db, { label: 'reconciliation', env: o.env }, async () => {
        if (await runInProgress(db, o.env ?? process.env)) return null;
        try {
          await recoverAndSupervise(db, liveBroker(live, await portOnce()), { now, run_id: null });
        } catch (e) {
          logger.error({ err: errorMessage(e) }, 'LIVE supervision between runs failed');
        }
        return cycle(db);
      });
      // Another process's orders in flight for longer than the lease wait: the next interval tries again.
      return section.catch((e: unknown) => {
        if (!isTraderError(e) || e.code !== 'LOCKED') throw e;
        logger.warn({ err: e.message }, 'LIVE supervision between runs skipped this time');
        return null;
      });
    },
  };
}

let shared: { keys: LiveKeys; reconciler: LiveReconciler } | undefined;

/** The process's reconciler for the keys it unlocked (one exchange port, one interval clock). */
export function processReconciler(keys: LiveKeys, env: NodeJS.ProcessEnv = process.env): LiveReconciler {
  if (shared?.keys !== keys)
    shared = {
      keys,
      reconciler: liveReconciler({
        exchange: keys.account.exchange,
        intervalMs: traderEnv(env).TRADER_RECONCILE_SECONDS * 1000,
        openPort: () => openLivePort(keys, env),
        env,
      }),
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
