import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { type BookedFill, bookOrderFills } from './book-fill.ts';
import { type ExchangePort, isExchangeFault, type MarketInfo } from './exchange-port.ts';
import { findOrder, type LiveOrder } from './orders-repo.ts';
import { adoptAnswer } from './submit-order.ts';

/**
 * Bringing the database up to what the exchange did with our orders: an order's state and
 * fills are adopted (submit-order.ts adoptAnswer), then its fills are booked into the
 * position (book-fill.ts), each in its own transaction.
 */

/**
 * The largest open quantity that can no longer be sold on this market (below the step,
 * the minimum quantity or the minimum order value at `price`): an exit that leaves at most
 * this closes the position, and the rest stays in the wallet as dust.
 */
export function dustQty(market: MarketInfo, price: number): number {
  const smallest = Math.max(market.step_size, market.min_qty, market.min_notional / price);
  return Math.max(0, smallest - market.step_size / 2);
}

/** The take-profit rung a take-profit order fills: the open rung at its limit price. */
async function rungOf(db: Db, scope: TradingScope, order: LiveOrder): Promise<number | null> {
  if (order.role !== 'take_profit' || order.position_id === null || order.price === null) return null;
  const [row] = await tradingTx(db, scope, (tx) =>
    tx.query<{ take_profits: { price: number; filled_at: string | null }[] }>(
      `select take_profits from ${scope.table('positions')} where position_id = $1`,
      [order.position_id],
    ),
  );
  const rungs = row?.take_profits ?? [];
  let best: number | null = null;
  rungs.forEach((r, i) => {
    if (r.filled_at !== null) return;
    if (best === null || Math.abs(r.price - order.price!) < Math.abs(rungs[best]!.price - order.price!)) best = i;
  });
  return best;
}

/** Books the fills of an order already recorded (no exchange request). */
export async function bookRecorded(
  db: Db,
  scope: TradingScope,
  order: LiveOrder,
  market: MarketInfo,
  price: number,
): Promise<BookedFill[]> {
  const rung = await rungOf(db, scope, order);
  return tradingTx(db, scope, (tx) =>
    bookOrderFills(tx, scope, order.client_order_id, { dust_qty: dustQty(market, price), rung }),
  );
}

/**
 * Looks an order up on the exchange, adopts its state and fills and books them. When the
 * exchange cannot be reached the order is left as recorded (the next pass asks again).
 */
export async function settleOrder(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  order: LiveOrder,
  market: MarketInfo,
  price: number,
): Promise<{ order: LiveOrder; booked: BookedFill[] }> {
  let current = order;
  try {
    const found = await port.orderByClientId(order.symbol, order.client_order_id);
    // Adopted (and audited) only when the exchange says something new.
    const news = (o: NonNullable<typeof found>) =>
      o.state !== order.state || o.filled_qty !== order.filled_qty || order.exchange_order_id === null;
    if (found && news(found)) current = await adoptAnswer(db, scope, port, order, found, [], 'ORDER_RECOVERED');
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
  }
  const booked = await bookRecorded(db, scope, current, market, price);
  const after = await tradingTx(db, scope, (tx) => findOrder(tx, scope, order.client_order_id));
  return { order: after ?? current, booked };
}
