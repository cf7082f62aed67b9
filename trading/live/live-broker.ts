import type { Db, Queryable } from '../../store/db.ts';
import type { OpenOrder, OpenRefusal } from '../broker.ts';
import { pipelineOfRun } from '../live-account/first-order.ts';
import { moveOpenStopToBreakeven } from '../paper/follow-exit-plan.ts';
import { hasOpenPosition } from '../positions-repo.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { type ExchangeHaltAction, loadState } from '../state-repo.ts';
import { clientOrderId } from './client-order-id.ts';
import { closeLivePosition, type LiveCloseRequest, type LiveCloseResult } from './close-live-position.ts';
import { type ExchangePort, isExchangeFault } from './exchange-port.ts';
import { runJitChecks } from './jit-check-run.ts';
import { haltOnExchange, type HaltOnExchangeReport } from './halt-on-exchange.ts';
import { fitOrder } from './market-filters.ts';
import { auditOrder } from './order-audit.ts';
import { findOrder, insertPendingOrder, type LiveOrder, setOrderState } from './orders-repo.ts';
import { protectPosition, type ProtectionReport } from './protect-position.ts';
import { type RecoveredOrder, recoverOrders } from './recover-orders.ts';
import { bookOrderFills } from './book-fill.ts';
import { bookRecorded } from './settle-orders.ts';
import { sendRecorded } from './submit-order.ts';
import { superviseLivePositions, type SupervisedPosition } from './supervise-positions.ts';

/**
 * The LIVE broker: the same orders as the paper broker (OpenOrder, a close), executed on
 * the exchange through an ExchangePort. Its one difference from the paper broker's port
 * is when things happen, forced by "record before send":
 * - open(tx, order), in the caller's transaction (a run's decision, an approval), checks
 *   and fits the order and records the entry as PENDING_SUBMIT with its plan. Nothing
 *   leaves: the record commits with the decision that made it.
 * - send(db, id), once that transaction committed: the just-in-time checks
 *   (jit-check-run.ts), then the market order (submit-order.ts: never twice), the fills
 *   booked (book-fill.ts), then the protection placed (protect-position.ts) for what
 *   filled. An entry refused by the checks is REJECTED, audited, and nothing is sent.
 * - close(db, id, request): cancel the protection, sell what is left at market, book.
 * - supervise(db, ...): book what the exchange did to open positions, the gapped-stop
 *   fallback, protection for anything unprotected (supervise-positions.ts).
 * - haltAction(db, action, ...): an emergency halt's cancels or closes (halt-on-exchange.ts).
 * Spot only: an entry buys; a sell intent (a short) is refused as not supported.
 */

export type QueuedEntry = { ok: true; client_order_id: string } | { ok: false; reason: OpenRefusal; message: string };

export interface SentEntry {
  order: LiveOrder;
  position_id: number | null;
  /** Why nothing (or less) was bought, one sentence; null when the entry filled. */
  reason: string | null;
  protection: ProtectionReport | null;
}

export interface LiveBroker {
  readonly exchange: string;
  open(tx: Queryable, order: OpenOrder): Promise<QueuedEntry>;
  send(db: Db, clientOrderId: string, o?: { approved?: boolean }): Promise<SentEntry>;
  close(db: Db, positionId: number, request: LiveCloseRequest): Promise<LiveCloseResult>;
  supervise(db: Db, o: { now: Date; run_id: string | null }): Promise<SupervisedPosition[]>;
  /** recoverOrders() (run at every start), then the fills it adopted booked and new positions protected. */
  recover(db: Db): Promise<RecoveredOrder[]>;
  /** The emergency halt's action on the exchange (halt-on-exchange.ts), after recover(): nothing is guessed. */
  haltAction(
    db: Db,
    action: ExchangeHaltAction,
    o: { now: Date; run_id: string | null },
  ): Promise<HaltOnExchangeReport>;
}

async function unsettledEntry(tx: Queryable, scope: TradingScope, exchange: string, symbol: string) {
  const rows = await tx.query(
    `select 1 from ${scope.table('orders')} where exchange = $1 and symbol = $2 and role = 'entry'
       and state in ('PENDING_SUBMIT', 'NEW', 'PARTIALLY_FILLED')`,
    [exchange, symbol],
  );
  return rows.length > 0;
}

async function queueEntry(
  tx: Queryable,
  scope: TradingScope,
  port: ExchangePort,
  order: OpenOrder,
): Promise<QueuedEntry> {
  if (order.side !== 'buy' || order.leverage !== 1)
    return {
      ok: false,
      reason: 'not_supported',
      message: `A ${order.side} of ${order.symbol} at leverage ${order.leverage} needs margin; the live broker trades spot, buying with leverage 1 only.`,
    };
  if (
    (await hasOpenPosition(tx, scope, port.exchange, order.symbol)) ||
    (await unsettledEntry(tx, scope, port.exchange, order.symbol))
  )
    return {
      ok: false,
      reason: 'position_already_open',
      message: `A ${order.symbol} position (or its entry) is already open on ${port.exchange}; one position per market.`,
    };
  const market = await port.market(order.symbol);
  const fit = fitOrder(market, { side: 'buy', type: 'market', qty: order.qty, reference_price: order.entry });
  if (!fit.ok) return { ok: false, reason: 'exchange_refused', message: fit.reason };
  const pipeline = (await pipelineOfRun(tx, order.run_id)) ?? `proposal-${order.proposal_id ?? 'none'}`;
  const id = clientOrderId({ pipeline, symbol: order.symbol, tick: order.as_of.getTime(), leg: 'entry' });
  const { order: recorded, created } = await insertPendingOrder(tx, scope, {
    client_order_id: id,
    exchange: port.exchange,
    symbol: order.symbol,
    side: 'buy',
    type: 'market',
    role: 'entry',
    qty: fit.order.qty,
    run_id: order.run_id,
    plan: {
      intent: {
        exchange: order.exchange,
        symbol: order.symbol,
        timeframe: order.timeframe,
        category: order.category,
        side: order.side,
        qty: fit.order.qty,
        entry: order.entry,
        stop: order.stop,
        take_profits: order.take_profits,
        leverage: order.leverage,
        risk_amount: order.risk_amount,
        risk_pct: order.risk_pct,
        notional: fit.order.qty * order.entry,
        breakeven_after_tp: order.breakeven_after_tp ?? null,
        time_stop_bars: order.time_stop_bars ?? null,
      },
      strategy_id: order.strategy_id,
      strategy_version: order.strategy_version,
      source_module: order.source_module,
      proposal_id: order.proposal_id,
      as_of: order.as_of.toISOString(),
    },
  });
  if (!created && recorded.state !== 'PENDING_SUBMIT')
    return {
      ok: false,
      reason: 'position_already_open',
      message: `The entry ${id} of this decision was already sent (${recorded.state}).`,
    };
  return { ok: true, client_order_id: id };
}

async function refuseEntry(db: Db, scope: TradingScope, order: LiveOrder, reason: string): Promise<SentEntry> {
  const refused = await tradingTx(db, scope, async (tx) => {
    const row = await setOrderState(tx, scope, order.client_order_id, 'REJECTED', reason);
    await auditOrder(tx, scope, 'ORDER_REJECTED', row);
    return row;
  });
  return { order: refused, position_id: null, reason, protection: null };
}

async function sendEntry(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  id: string,
  o: { approved?: boolean },
): Promise<SentEntry> {
  const order = (await tradingTx(db, scope, (tx) => findOrder(tx, scope, id)))!;
  const plan = order.plan!;
  if (order.state === 'PENDING_SUBMIT' && order.attempts === 0) {
    const verdict = await runJitChecks(db, scope, port, {
      symbol: order.symbol,
      order: { side: 'buy', type: 'market', qty: order.qty },
      decision_price: plan.intent.entry,
      intent: plan.intent,
      approved: o.approved ?? false,
      require_jit_checks: (await tradingTx(db, scope, (tx) => loadState(tx, scope))).require_jit_checks,
    });
    if (!verdict.ok)
      return refuseEntry(db, scope, order, verdict.reason ?? 'The just-in-time checks refused the entry.');
    if (verdict.order && verdict.order.qty !== order.qty)
      return refuseEntry(
        db,
        scope,
        order,
        `The market's filters now round ${order.qty} to ${verdict.order.qty}; the entry is decided again at the next run.`,
      );
  }
  // Sent already (a second call, or an answer adopted by recovery): only booked and protected.
  const sent =
    order.state === 'PENDING_SUBMIT'
      ? await sendRecorded(db, scope, port, order, { lookupFirst: order.attempts > 0 })
      : { order, reason: order.state === 'REJECTED' ? order.last_error : null };
  const done = await bookAndProtect(db, scope, port, sent.order);
  return { ...done, reason: sent.reason ?? done.reason };
}

/**
 * Books an entry's recorded fills (opening its position) and protects what filled. A
 * protection the exchange cannot take now is left to the next run's supervision, which
 * protects any open position without it.
 */
async function bookAndProtect(db: Db, scope: TradingScope, port: ExchangePort, order: LiveOrder): Promise<SentEntry> {
  await tradingTx(db, scope, (tx) => bookOrderFills(tx, scope, order.client_order_id));
  const settled = (await tradingTx(db, scope, (tx) => findOrder(tx, scope, order.client_order_id)))!;
  const position_id = settled.position_id;
  if (position_id === null)
    return { order: settled, position_id, reason: settled.last_error ?? 'The entry did not fill.', protection: null };
  // An exit plan at breakeven from the start (0 rungs) is protected at the entry from the first order on.
  await tradingTx(db, scope, (tx) =>
    moveOpenStopToBreakeven(tx, scope, position_id, { ts: settled.updated_at, run_id: order.run_id }),
  );
  try {
    const protection = await protectPosition(db, scope, port, position_id, order.run_id);
    return { order: settled, position_id, reason: null, protection };
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    return { order: settled, position_id, reason: `Filled, not protected yet: ${e.message}`, protection: null };
  }
}

async function recover(db: Db, scope: TradingScope, port: ExchangePort): Promise<RecoveredOrder[]> {
  const recovered = await recoverOrders(db, scope, port);
  for (const r of recovered.filter((x) => x.outcome === 'adopted' || x.outcome === 'resent')) {
    const order = (await tradingTx(db, scope, (tx) => findOrder(tx, scope, r.client_order_id)))!;
    if (order.role === 'entry') await bookAndProtect(db, scope, port, order);
    else await bookRecorded(db, scope, order, await port.market(order.symbol), await port.price(order.symbol));
  }
  return recovered;
}

export function liveBroker(scope: TradingScope, port: ExchangePort): LiveBroker {
  return {
    exchange: port.exchange,
    open: (tx, order) => queueEntry(tx, scope, port, order),
    send: (db, id, o = {}) => sendEntry(db, scope, port, id, o),
    close: (db, positionId, request) => closeLivePosition(db, scope, port, positionId, request),
    supervise: (db, o) => superviseLivePositions(db, scope, port, o),
    recover: (db) => recover(db, scope, port),
    haltAction: async (db, action, o) => {
      await recover(db, scope, port);
      return haltOnExchange(db, scope, port, action, o);
    },
  };
}
