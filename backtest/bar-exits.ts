import {
  candleExits,
  type MonitoredPosition,
  type PlannedExit,
  type PriceCandle,
} from '../trading/paper/candle-exits.ts';

/** An exit planned on one bar, with the time it happened (a finer bar's open when resolved). */
export type TimedExit = PlannedExit & { ts: number };

/** Both the stop and the next take-profit lie inside the candle: the candle alone cannot say which came first. */
function ambiguous(pos: MonitoredPosition, c: PriceCandle): boolean {
  const long = pos.side === 'long';
  const stop = long ? c.low <= pos.stop_price : c.high >= pos.stop_price;
  const rung = pos.take_profits.find((r) => r.filled_at === null);
  return stop && rung !== undefined && (long ? c.high >= rung.price : c.low <= rung.price);
}

/**
 * The exits one bar triggers for an open position, by the paper broker's rules
 * (trading/paper/candle-exits.ts). When the stop and a target are both inside the bar,
 * the finer bars inside it (when cached) are walked in order to see which came first;
 * without them the stop is assumed first, the conservative choice.
 */
export async function exitsForBar(
  pos: MonitoredPosition,
  bar: PriceCandle,
  slippage: number,
  finerBars: () => Promise<PriceCandle[] | null>,
): Promise<{ exits: TimedExit[]; resolved: 'bar' | 'finer' | 'stop_first' }> {
  if (!ambiguous(pos, bar))
    return { exits: candleExits(pos, bar, slippage).map((e) => ({ ...e, ts: bar.ts })), resolved: 'bar' };
  const finer = await finerBars();
  if (!finer)
    return { exits: candleExits(pos, bar, slippage).map((e) => ({ ...e, ts: bar.ts })), resolved: 'stop_first' };
  const walk: MonitoredPosition = { ...pos, take_profits: pos.take_profits.map((r) => ({ ...r })) };
  const exits: TimedExit[] = [];
  for (const c of finer) {
    for (const e of candleExits(walk, c, slippage)) {
      exits.push({ ...e, ts: c.ts });
      walk.open_qty -= e.qty;
      if (e.rung !== null) walk.take_profits[e.rung]!.filled_at = new Date(c.ts).toISOString();
    }
    if (walk.open_qty <= walk.qty * 1e-9) break;
  }
  return { exits, resolved: 'finer' };
}
