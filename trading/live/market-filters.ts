import { z } from 'zod';
import { roundToStep } from './decimal-steps.ts';

/**
 * A market's trading filters (the exchange port fills them from ccxt's market) and the
 * one rule for fitting an order into them: quantities are rounded DOWN to the step, never
 * up, so an order never costs more than the balance it was sized for; prices are rounded
 * to the tick in the direction that is never worse for us. An order that still breaks a
 * filter after rounding is refused with one sentence; nothing is ever rounded up to meet
 * a minimum.
 */
export const MarketFilters = z.object({
  symbol: z.string().min(1),
  /** Lot size: quantities are multiples of it. */
  step_size: z.number().positive(),
  /** Prices are multiples of it. */
  tick_size: z.number().positive(),
  min_qty: z.number().nonnegative(),
  max_qty: z.number().positive().nullable(),
  /** Smallest quantity × price the exchange accepts, in the quote currency. */
  min_notional: z.number().nonnegative(),
});
export type MarketFilters = z.infer<typeof MarketFilters>;

export const OrderSide = z.enum(['buy', 'sell']);
export const OrderType = z.enum(['market', 'limit', 'stop_loss_limit']);

export const OrderToFit = z.object({
  side: OrderSide,
  type: OrderType,
  qty: z.number().positive(),
  /** The limit price (limit and stop-loss-limit orders). */
  price: z.number().positive().optional(),
  /** The trigger of a stop-loss-limit order. */
  stop_price: z.number().positive().optional(),
  /** The price a market order's notional is judged at (the fresh price). */
  reference_price: z.number().positive(),
});
export type OrderToFit = z.infer<typeof OrderToFit>;

export type FittedOrder = Omit<OrderToFit, 'reference_price'>;
export type FitResult = { ok: true; order: FittedOrder } | { ok: false; reason: string };

/**
 * Price rounding, never worse for us: a buy limit down and a sell limit up (we never pay
 * more or receive less than asked); a stop trigger toward the market, so it fires no later
 * than planned (a sell stop up, a buy stop down). A stop-loss-limit's limit price is the
 * exception: it is rounded away from the trigger (a sell down, a buy up), so the offset
 * the fill has room for never shrinks.
 */
function roundPrices(order: OrderToFit, tick: number): Pick<FittedOrder, 'price' | 'stop_price'> {
  const sell = order.side === 'sell';
  const out: Pick<FittedOrder, 'price' | 'stop_price'> = {};
  if (order.stop_price !== undefined) out.stop_price = roundToStep(order.stop_price, tick, sell ? 'up' : 'down');
  if (order.price !== undefined) {
    const limitAway = order.type === 'stop_loss_limit';
    out.price = roundToStep(order.price, tick, sell !== limitAway ? 'up' : 'down');
  }
  return out;
}

export function fitOrder(filters: MarketFilters, input: OrderToFit): FitResult {
  const order = OrderToFit.parse(input);
  const f = MarketFilters.parse(filters);
  if (order.type !== 'market' && order.price === undefined)
    return { ok: false, reason: `A ${order.type} order on ${f.symbol} needs a limit price.` };
  if (order.type === 'stop_loss_limit' && order.stop_price === undefined)
    return { ok: false, reason: `A stop-loss-limit order on ${f.symbol} needs a stop price.` };
  const qty = roundToStep(order.qty, f.step_size, 'down');
  const prices = roundPrices(order, f.tick_size);
  if (prices.price === 0 || prices.stop_price === 0)
    return { ok: false, reason: `A price on ${f.symbol} rounds to 0 at the tick size ${f.tick_size}.` };
  if (qty === 0 || qty < f.min_qty)
    return {
      ok: false,
      reason: `${order.qty} ${f.symbol} rounds down to ${qty}, below the minimum quantity ${Math.max(f.min_qty, f.step_size)}.`,
    };
  if (f.max_qty !== null && qty > f.max_qty)
    return { ok: false, reason: `${qty} ${f.symbol} is above the maximum quantity ${f.max_qty} of one order.` };
  const notionalPrice = prices.price ?? order.reference_price;
  if (qty * notionalPrice < f.min_notional)
    return {
      ok: false,
      reason: `${qty} ${f.symbol} at ${notionalPrice} is worth ${Number((qty * notionalPrice).toPrecision(12))}, below the minimum order value ${f.min_notional}.`,
    };
  const { reference_price: _reference, ...rest } = order;
  return { ok: true, order: { ...rest, ...prices, qty } };
}
