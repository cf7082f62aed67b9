import { queryRows, type Db, type Queryable } from '../../store/db.ts';
import { listOpenPositions } from '../positions-repo.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import type { ExchangeHaltAction } from '../state-repo.ts';
import { closeLivePosition } from './close-live-position.ts';
import { type ExchangePort, isExchangeFault } from './exchange-port.ts';
import { auditOrder } from './order-audit.ts';
import { LiveOrder } from './orders-repo.ts';
import { protectPosition } from './protect-position.ts';
import { settleOrder } from './settle-orders.ts';

/**
 * The emergency halt's action on the exchange (issue 15, item 6). The halt itself commits
 * first (governance/halt.ts, which also cancels the entries recorded but never sent, so
 * that nothing in flight leaves after it); this pass runs afterwards through the live
 * broker, and again at every LIVE run until it finds nothing left to do
 * (governance/halt-exchange-action.ts):
 * - CANCEL_ORDERS_AND_HALT cancels every open order of trader's that is NOT a position's
 *   protection: entries still open (what they filled meanwhile is booked, and protected)
 *   and closes still open. The stop and OCO orders of open positions STAY on the exchange,
 *   and a position left without them (a cancelled close had removed them) is protected
 *   again: a halt must never leave a position without its stop. To go flat, the action is
 *   MARKET_CLOSE_ALL_AND_HALT.
 * - MARKET_CLOSE_ALL_AND_HALT cancels the same orders, then closes every open position at
 *   market through the broker's close (close-live-position.ts: its protection cancelled
 *   first, what is left sold, real fills booked).
 * Each cancel is audited order by order (ORDER_CANCELLED, ORDER_CANCEL_FAILED), each close
 * position by position (LIVE_POSITION_CLOSE). Idempotent: the caller runs recovery first
 * (orders of unknown outcome are looked up, never guessed), a cancel of an order no longer
 * open changes nothing, a closed position is not closed again; so a second pass places no
 * order. An exchange fault costs that one order or position (a problem, left for the next
 * pass), never the pass.
 */

export interface HaltOnExchangeReport {
  action: ExchangeHaltAction;
  /** Client ids of the orders cancelled (on the exchange, or never sent). */
  cancelled: string[];
  /** Positions closed at market. */
  closed: number[];
  /** What was noted but needs nothing more from this action (dust nobody can sell, a protection remark). */
  notes: string[];
  /** One sentence per thing not done: the action stays pending for the next pass. */
  problems: string[];
}

const openStates = ['PENDING_SUBMIT', 'NEW', 'PARTIALLY_FILLED'];

/**
 * In the caller's transaction: the orders of these roles recorded but never sent (no
 * request counted) become CANCELED, audited one by one, so no sender and no recovery sends
 * them later (a sender counts its request only while the order is still PENDING_SUBMIT).
 */
export async function cancelUnsentOrders(
  tx: Queryable,
  scope: TradingScope,
  roles: LiveOrder['role'][],
  why: string,
): Promise<string[]> {
  const rows = await queryRows(
    tx,
    LiveOrder,
    `update ${scope.table('orders')} set state = 'CANCELED', last_error = $2, updated_at = now()
     where role = any($1::text[]) and state = 'PENDING_SUBMIT' and attempts = 0
     returning *`,
    [roles, why],
  );
  for (const row of rows) await auditOrder(tx, scope, 'ORDER_CANCELLED', row, { never_sent: true });
  return rows.map((r) => r.client_order_id);
}

/** trader's orders on this exchange that are open and not protection: entries and closes. */
function openEntriesAndCloses(q: Queryable, scope: TradingScope, exchange: string): Promise<LiveOrder[]> {
  return queryRows(
    q,
    LiveOrder,
    `select * from ${scope.table('orders')} where exchange = $1 and role in ('entry', 'close')
       and state = any($2::text[]) order by created_at, client_order_id`,
    [exchange, openStates],
  );
}

/**
 * Cancels one open order, then adopts and books what it did meanwhile. The outcome:
 * cancelled, filled before the cancel arrived (booked, nothing left to cancel), or why it
 * is not done (left for the next pass).
 */
async function cancelOne(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  order: LiveOrder,
  details: Record<string, unknown>,
): Promise<{ cancelled: boolean; problem: string | null }> {
  const what = `The ${order.role} ${order.client_order_id} (${order.symbol})`;
  let settled: LiveOrder;
  try {
    await port.cancel(order.symbol, order.client_order_id);
    const market = await port.market(order.symbol);
    ({ order: settled } = await settleOrder(db, scope, port, order, market, await port.price(order.symbol)));
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    await tradingTx(db, scope, (tx) =>
      auditOrder(tx, scope, 'ORDER_CANCEL_FAILED', order, { ...details, why: e.message }),
    );
    return { cancelled: false, problem: `${what} could not be cancelled: ${e.message}` };
  }
  // A cancel the exchange took but whose result could not be read yet is asked about again next time.
  if (openStates.includes(settled.state))
    return { cancelled: false, problem: `${what} is still ${settled.state} after its cancel.` };
  if (settled.state === 'FILLED') return { cancelled: false, problem: null };
  await tradingTx(db, scope, (tx) => auditOrder(tx, scope, 'ORDER_CANCELLED', settled, details));
  return { cancelled: true, problem: null };
}

async function protectAll(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  report: HaltOnExchangeReport,
  run_id: string | null,
) {
  const positions = await tradingTx(db, scope, (tx) => listOpenPositions(tx, scope));
  for (const p of positions.filter((x) => x.exchange === port.exchange)) {
    try {
      // Nothing happens for a position whose protection is in place.
      report.notes.push(...(await protectPosition(db, scope, port, p.position_id, run_id)).problems);
    } catch (e) {
      if (!isExchangeFault(e)) throw e;
      report.problems.push(`Position ${p.position_id} (${p.symbol}) could not be protected: ${e.message}`);
    }
  }
}

async function closeAll(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  report: HaltOnExchangeReport,
  o: { now: Date; run_id: string | null },
) {
  const positions = await tradingTx(db, scope, (tx) => listOpenPositions(tx, scope));
  for (const p of positions.filter((x) => x.exchange === port.exchange)) {
    try {
      const r = await closeLivePosition(db, scope, port, p.position_id, {
        reason: `emergency halt: ${report.action}`,
        ts: o.now,
        run_id: o.run_id,
      });
      if (r.position === null) report.closed.push(p.position_id);
      else if (r.dust) report.notes.push(r.problem!);
      else report.problems.push(r.problem ?? `Position ${p.position_id} (${p.symbol}) is still open after its close.`);
    } catch (e) {
      if (!isExchangeFault(e)) throw e;
      report.problems.push(`Position ${p.position_id} (${p.symbol}) could not be closed: ${e.message}`);
    }
  }
}

export async function haltOnExchange(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  action: ExchangeHaltAction,
  o: { now: Date; run_id: string | null },
): Promise<HaltOnExchangeReport> {
  const report: HaltOnExchangeReport = { action, cancelled: [], closed: [], notes: [], problems: [] };
  const details = { by: 'emergency halt', halt_action: action, run_id: o.run_id };
  report.cancelled.push(
    ...(await tradingTx(db, scope, (tx) =>
      cancelUnsentOrders(tx, scope, ['entry', 'close'], 'cancelled by the emergency halt before it was sent'),
    )),
  );
  for (const order of await tradingTx(db, scope, (tx) => openEntriesAndCloses(tx, scope, port.exchange))) {
    const { cancelled, problem } = await cancelOne(db, scope, port, order, details);
    if (problem) report.problems.push(problem);
    if (cancelled) report.cancelled.push(order.client_order_id);
  }
  if (action === 'CANCEL_ORDERS_AND_HALT') await protectAll(db, scope, port, report, o.run_id);
  else await closeAll(db, scope, port, report, o);
  return report;
}
