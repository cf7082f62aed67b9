/**
 * Binance's symbol filters as the simulator enforces them on new orders (the same values
 * exchangeInfo publishes): PRICE_FILTER, LOT_SIZE and NOTIONAL, and the rejection type the
 * routes turn into Binance error bodies.
 */
import type { StandInMarket } from '../market.ts';

/** A request Binance refuses with {"code": code, "msg": message} and HTTP `status`. */
export class BinanceReject extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const insufficientBalance = (): BinanceReject =>
  new BinanceReject(-2010, 'Account has insufficient balance for requested action.');

const onStep = (x: number, step: number): boolean => Math.abs(x / step - Math.round(x / step)) < 1e-7;

/**
 * Throws -1013 "Filter failure: ..." when a price is off the tick or out of range, the
 * quantity off the step or out of [minQty, maxQty], or price × quantity below minNotional.
 * `notionalPrice` is the price the notional is judged at (the last price for market orders).
 */
export function checkFilters(
  m: StandInMarket,
  o: { prices: readonly number[]; quantity: number; notionalPrice: number },
): void {
  for (const p of o.prices) {
    const min = m.minPrice ?? m.tickSize;
    const max = m.maxPrice ?? 1_000_000;
    if (!onStep(p, m.tickSize) || p < min || p > max) throw new BinanceReject(-1013, 'Filter failure: PRICE_FILTER');
  }
  const q = o.quantity;
  if (!onStep(q, m.stepSize) || q < m.minQty || q > (m.maxQty ?? 9000)) {
    throw new BinanceReject(-1013, 'Filter failure: LOT_SIZE');
  }
  if (q * o.notionalPrice < m.minNotional) throw new BinanceReject(-1013, 'Filter failure: NOTIONAL');
}
