import {
  candleExits,
  type MonitoredPosition,
  type PlannedExit,
  type PriceCandle,
} from '../trading/paper/candle-exits.ts';
import { breakevenStop, type ExitRules } from '../trading/exit-rules.ts';

/** A position as a bar's exits read it: the ladder and stop, and the exit plan's rules. */
export type RuledPosition = MonitoredPosition & ExitRules & { entry_price: number };

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
 * without them the stop is assumed first, the conservative choice. Between finer bars the
 * breakeven rule moves the walk's stop as it moves the position's between bars.
 */
export async function exitsForBar(
  pos: RuledPosition,
  bar: PriceCandle,
  slippage: number,
  finerBars: () => Promise<PriceCandle[] | null>,
): Promise<{ exits: TimedExit[]; resolved: 'bar' | 'finer' | 'stop_first' }> {
  if (!ambiguous(pos, bar))
    return { exits: candleExits(pos, bar, slippage).map((e) => ({ ...e, ts: bar.ts })), resolved: 'bar' };
  const finer = await finerBars();
  if (!finer)
    return { exits: candleExits(pos, bar, slippage).map((e) => ({ ...e, ts: bar.ts })), resolved: 'stop_first' };
  const walk: RuledPosition = { ...pos, take_profits: pos.take_profits.map((r) => ({ ...r })) };
  const exits: TimedExit[] = [];
  for (const c of finer) {
    walk.stop_price = breakevenStop(walk) ?? walk.stop_price;
    for (const e of candleExits(walk, c, slippage)) {
      exits.push({ ...e, ts: c.ts });
      walk.open_qty -= e.qty;
      if (e.rung !== null) walk.take_profits[e.rung]!.filled_at = new Date(c.ts).toISOString();
    }
    if (walk.open_qty <= walk.qty * 1e-9) break;
  }
  return { exits, resolved: 'finer' };
}
