import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { type ExchangeFill, type ExchangeOrder, type ExchangePort, isExchangeFault } from './exchange-port.ts';
import { auditOrder } from './order-audit.ts';
import {
  countAttempt,
  finalStates,
  findOrder,
  insertPendingOrder,
  type LiveOrder,
  type NewOrder,
  recordExchangeAnswer,
  setOrderState,
} from './orders-repo.ts';

/**
 * Sends an order so that it can never exist twice on the exchange:
 * 1. it is recorded as PENDING_SUBMIT, under its deterministic client order id, in a
 *    transaction of its own that commits BEFORE the request leaves;
 * 2. a definite answer is recorded as it comes (state, exchange id, fills);
 * 3. when the outcome is unknown (timeout, 5xx, dropped connection, malformed answer) the
 *    order is looked up by its client id, and sent again only if the exchange says no
 *    order has that id; never on a guess;
 * 4. a refusal for lack of balance (-2010), a rate limit (429/418) or any other definite
 *    refusal is REJECTED with the reason; a clock-skew refusal (-1021) resyncs the clock and
 *    is sent once more.
 * An order whose outcome stays unknown is left PENDING_SUBMIT for recoverOrders().
 */

/** Points of the life cycle, for progress reports (and for the tests that kill the process at each). */
export type SubmitStep = 'recorded' | 'answered' | 'settled';

export interface SubmitOptions {
  /** Requests sent at most, resends after a confirmed "no such order" included. */
  maxSends?: number;
  onStep?: (step: SubmitStep, order: LiveOrder) => void | Promise<void>;
}

export interface SubmitResult {
  order: LiveOrder;
  /** One sentence when the order was refused or its outcome is still unknown. */
  reason: string | null;
}

/** The fills of an answer, completed from the trade list when the answer carried fewer than it filled. */
async function completeFills(port: ExchangePort, order: LiveOrder, answer: ExchangeOrder, fills: ExchangeFill[]) {
  const carried = fills.reduce((sum, f) => sum + f.qty, 0);
  if (answer.filled_qty <= carried * (1 + 1e-9)) return fills;
  try {
    return await port.fills(order.symbol, answer.exchange_order_id);
  } catch (e) {
    // The order's state is recorded anyway; recoverOrders() fetches the missing fills later.
    if (isExchangeFault(e)) return fills;
    throw e;
  }
}

/** Records a definite answer with its fills, audited, in one transaction. */
export async function adoptAnswer(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  order: LiveOrder,
  answer: ExchangeOrder,
  fills: ExchangeFill[],
  event: 'ORDER_SUBMITTED' | 'ORDER_RECOVERED',
): Promise<LiveOrder> {
  const complete = await completeFills(port, order, answer, fills);
  return tradingTx(db, scope, async (tx) => {
    const recorded = await recordExchangeAnswer(tx, scope, order, answer, complete);
    await auditOrder(tx, scope, event, recorded);
    return recorded;
  });
}

async function refuse(db: Db, scope: TradingScope, order: LiveOrder, reason: string): Promise<SubmitResult> {
  const refused = await tradingTx(db, scope, async (tx) => {
    const row = await setOrderState(tx, scope, order.client_order_id, 'REJECTED', reason);
    await auditOrder(tx, scope, 'ORDER_REJECTED', row);
    return row;
  });
  return { order: refused, reason };
}

async function leaveUnknown(db: Db, scope: TradingScope, order: LiveOrder, reason: string): Promise<SubmitResult> {
  const left = await tradingTx(db, scope, async (tx) => {
    const row = await setOrderState(tx, scope, order.client_order_id, 'PENDING_SUBMIT', reason);
    await auditOrder(tx, scope, 'ORDER_OUTCOME_UNKNOWN', row);
    return row;
  });
  return {
    order: left,
    reason: `The outcome of ${order.client_order_id} is not known yet (${reason}); it is looked up again at the next start.`,
  };
}

/**
 * Sends an order already recorded as PENDING_SUBMIT (the send loop of the file comment).
 * `lookupFirst` when an earlier request for it may have reached the exchange.
 */
export async function sendRecorded(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  order: LiveOrder,
  options: SubmitOptions & { lookupFirst: boolean },
): Promise<SubmitResult> {
  const maxSends = options.maxSends ?? 3;
  let mustLookUp = options.lookupFirst;
  let resynced = false;
  for (let sends = 0; ;) {
    if (mustLookUp) {
      let found: ExchangeOrder | null;
      try {
        found = await port.orderByClientId(order.symbol, order.client_order_id);
      } catch (e) {
        if (isExchangeFault(e)) return leaveUnknown(db, scope, order, e.message);
        throw e;
      }
      if (found) {
        const recorded = await adoptAnswer(db, scope, port, order, found, [], 'ORDER_SUBMITTED');
        await options.onStep?.('settled', recorded);
        return { order: recorded, reason: null };
      }
    }
    if (sends >= maxSends) return leaveUnknown(db, scope, order, `no answer after ${sends} requests`);
    // Counted in the same statement that checks the order still waits: a halt that cancelled it first wins.
    const current = await tradingTx(db, scope, async (tx) =>
      (await countAttempt(tx, scope, order.client_order_id)) ? null : findOrder(tx, scope, order.client_order_id),
    );
    if (current)
      return { order: current, reason: `${order.client_order_id} was not sent: it is ${current.state} now.` };
    sends++;
    try {
      const { order: answer, fills } = await port.submit({
        client_order_id: order.client_order_id,
        symbol: order.symbol,
        side: order.side,
        type: order.type,
        qty: order.qty,
        ...(order.price !== null ? { price: order.price } : {}),
        ...(order.stop_price !== null ? { stop_price: order.stop_price } : {}),
      });
      await options.onStep?.('answered', order);
      const recorded = await adoptAnswer(db, scope, port, order, answer, fills, 'ORDER_SUBMITTED');
      await options.onStep?.('settled', recorded);
      return { order: recorded, reason: recorded.state === 'REJECTED' ? 'The exchange rejected the order.' : null };
    } catch (e) {
      if (!isExchangeFault(e)) throw e;
      if (e.kind === 'insufficient_funds')
        return refuse(db, scope, order, `The account's free balance does not cover the order (${e.message}).`);
      if (e.kind === 'clock_skew' && !resynced) {
        resynced = true;
        try {
          await port.resyncClock();
        } catch (resync) {
          if (isExchangeFault(resync))
            return refuse(db, scope, order, `The clock could not be resynced: ${resync.message}`);
          throw resync;
        }
        // A timestamp refusal is definite: the order was not placed, so it is sent again as it is.
        mustLookUp = false;
        continue;
      }
      // A rate limit refuses the request unprocessed; waiting out its Retry-After here would hold
      // the run, and the decision would be stale by then (the JIT checks refuse until it passes).
      if (e.kind !== 'unknown_outcome') return refuse(db, scope, order, e.message);
      // The request may have been taken: ask before anything else.
      mustLookUp = true;
    }
  }
}

/**
 * Records and sends one order (see the file comment). Submitting an order already known
 * under its id sends nothing new: a settled one is returned as it stands, one whose
 * outcome is unknown is looked up first.
 */
export async function submitOrder(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  input: Omit<NewOrder, 'exchange'>,
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  const { order, created } = await tradingTx(db, scope, (tx) =>
    insertPendingOrder(tx, scope, { ...input, exchange: port.exchange }),
  );
  if (!created && order.state !== 'PENDING_SUBMIT')
    return { order, reason: finalStates.includes(order.state) ? order.last_error : null };
  await options.onStep?.('recorded', order);
  // A request may have left only if one was counted (the count commits before it leaves).
  return sendRecorded(db, scope, port, order, { ...options, lookupFirst: order.attempts > 0 });
}
