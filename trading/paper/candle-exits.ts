import { exitOrderSide, slippedPrice, type PositionSide } from './fill-model.ts';

/**
 * Which exits one closed candle triggers for a position, and at what price. Pure, so
 * the rules are testable without a database:
 * - The stop is checked first. A candle that touches both the stop and a take-profit
 *   cannot say which came first; assuming the stop is the conservative choice.
 * - A stop is a stop-market order: a gap through it fills at the (worse) open.
 * - A take-profit is a limit order: a gap through it fills at the (better) open.
 * - Take-profit rungs fill in ladder order, each for its fraction of the ORIGINAL
 *   quantity (capped at what is still open); the last rung takes the remainder.
 * Every fill price includes slippage against the trader.
 */

export interface PriceCandle {
  /** Open time, ms. */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface LadderRung {
  price: number;
  fraction: number;
  filled_at: string | null;
}

export interface MonitoredPosition {
  side: PositionSide;
  qty: number;
  open_qty: number;
  stop_price: number;
  take_profits: readonly LadderRung[];
}

export interface PlannedExit {
  kind: 'stop_loss' | 'take_profit';
  qty: number;
  /** Fill price, slippage included. */
  price: number;
  /** Index of the take-profit rung this exit fills. */
  rung: number | null;
}

export function candleExits(pos: MonitoredPosition, candle: PriceCandle, slippage: number): PlannedExit[] {
  if (pos.open_qty <= 0) return [];
  const long = pos.side === 'long';
  const exitSide = exitOrderSide(pos.side);

  const stopTouched = long ? candle.low <= pos.stop_price : candle.high >= pos.stop_price;
  if (stopTouched) {
    const trigger = long ? Math.min(candle.open, pos.stop_price) : Math.max(candle.open, pos.stop_price);
    return [{ kind: 'stop_loss', qty: pos.open_qty, price: slippedPrice(exitSide, trigger, slippage), rung: null }];
  }

  const exits: PlannedExit[] = [];
  let open = pos.open_qty;
  const last = pos.take_profits.length - 1;
  for (const [i, rung] of pos.take_profits.entries()) {
    if (open <= 0) break;
    if (rung.filled_at !== null) continue;
    const touched = long ? candle.high >= rung.price : candle.low <= rung.price;
    // Rungs are ordered away from the entry: if this one was not reached, no later one was.
    if (!touched) break;
    const limit = long ? Math.max(candle.open, rung.price) : Math.min(candle.open, rung.price);
    const qty = i === last ? open : Math.min(rung.fraction * pos.qty, open);
    exits.push({ kind: 'take_profit', qty, price: slippedPrice(exitSide, limit, slippage), rung: i });
    open -= qty;
  }
  return exits;
}
