import { z } from 'zod';

/**
 * The seed's lead-coin analysis (section 9), pure: a lead coin's significant moves and how
 * far each monitored altcoin moved with it. No database, no clock.
 *
 * A move is measured over one bar, close / open - 1, in percent. One bar rather than close
 * to the previous close: the lead's and the altcoin's windows are then exactly the same
 * hour, aligned by candle open time, and a gap before the bar cannot stretch the window.
 * The delayed window is the altcoin's bar `delayBars` later (its own close / open - 1): the
 * part of the move that came after the lead's. An altcoin without a candle at the lead's
 * open time is skipped and counted, never filled in.
 */

/** The columns of a stored candle series this needs (market/candles-repo.ts loadCandleRange). */
export interface Bars {
  symbol: string;
  ts: readonly number[];
  open: readonly number[];
  close: readonly number[];
  volume: readonly number[];
}

export interface MoveSettings {
  /** A lead bar is a significant move when |delta| exceeds this, in percent (2 = 2 %). */
  thresholdPct: number;
  /** The delayed window: the altcoin's bar this many bars after the lead's. */
  delayBars: number;
  /** The bar length in ms (1h: 3,600,000). */
  stepMs: number;
  /** Lead bars with open times in [fromMs, toMs) are examined. */
  fromMs: number;
  toMs: number;
}

export const CorrelationEvent = z.object({
  /** The lead bar's open time, ms UTC. */
  timestamp: z.number(),
  base_coin: z.string(),
  altcoin: z.string(),
  /** Percent over the bar: 2.5 = +2.5 %. */
  base_delta: z.number(),
  altcoin_delta: z.number(),
  /** altcoin_delta / base_delta: 1 moved as much, 2 twice as much, negative against the lead. */
  efficiency_score: z.number(),
  delay_bars: z.number().int(),
  delayed_altcoin_delta: z.number().nullable(),
  delayed_efficiency_score: z.number().nullable(),
  /** The altcoin's close of the event's bar. */
  altcoin_price: z.number(),
  /** Quote volume (sum of volume × close) of the 24 hours ending with the event's bar; null if any bar is missing. */
  altcoin_volume_24h: z.number().nullable(),
});
export type CorrelationEvent = z.infer<typeof CorrelationEvent>;

export interface LeadMove {
  base_coin: string;
  timestamp: number;
  base_delta: number;
}

export interface MeasuredMoves {
  events: CorrelationEvent[];
  leadMoves: LeadMove[];
  /** (lead move, altcoin) pairs skipped because the altcoin had no candle at the lead's open time. */
  missing: { base_coin: string; altcoin: string; timestamp: number }[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A bar of exactly the threshold (100 -> 98 computes as -2.0000000000000018 %) is no move. */
const ROUNDING = 1e-9;

/** close / open - 1 in percent. */
export const barDelta = (open: number, close: number) => (close / open - 1) * 100;

/** The lead's bars in the window whose |delta| exceeds the threshold, oldest first. */
export function findLeadMoves(lead: Bars, s: Pick<MoveSettings, 'thresholdPct' | 'fromMs' | 'toMs'>): LeadMove[] {
  const moves: LeadMove[] = [];
  for (let i = 0; i < lead.ts.length; i++) {
    const ts = lead.ts[i]!;
    if (ts < s.fromMs || ts >= s.toMs) continue;
    const delta = barDelta(lead.open[i]!, lead.close[i]!);
    if (Math.abs(delta) > s.thresholdPct + ROUNDING)
      moves.push({ base_coin: lead.symbol, timestamp: ts, base_delta: delta });
  }
  return moves;
}

/** Bar index by open time, for aligning series by timestamp. */
const indexByTs = (bars: Bars) => new Map(bars.ts.map((t, i) => [t, i]));

/** Quote volume of the bars covering the 24 hours that end with the close of the bar opening at `ts`; null when one is missing. */
function volume24h(alt: Bars, at: Map<number, number>, ts: number, stepMs: number): number | null {
  if (stepMs > DAY_MS || DAY_MS % stepMs !== 0) return null;
  let sum = 0;
  for (let k = 0; k < DAY_MS / stepMs; k++) {
    const j = at.get(ts - k * stepMs);
    if (j === undefined) return null;
    sum += alt.volume[j]! * alt.close[j]!;
  }
  return sum;
}

/**
 * Every (lead move, altcoin) event in the window: the same bar's deltas and efficiency, and
 * the delayed bar's, with the altcoin's price and 24-hour volume. Sorted by time, lead, altcoin.
 */
export function measureMoves(leads: readonly Bars[], alts: readonly Bars[], s: MoveSettings): MeasuredMoves {
  const altIndex = alts.map((a) => ({ bars: a, at: indexByTs(a) }));
  const leadMoves = leads.flatMap((lead) => findLeadMoves(lead, s));
  const events: CorrelationEvent[] = [];
  const missing: MeasuredMoves['missing'] = [];
  for (const move of leadMoves) {
    for (const { bars: alt, at } of altIndex) {
      if (alt.symbol === move.base_coin) continue;
      const i = at.get(move.timestamp);
      if (i === undefined) {
        missing.push({ base_coin: move.base_coin, altcoin: alt.symbol, timestamp: move.timestamp });
        continue;
      }
      const altDelta = barDelta(alt.open[i]!, alt.close[i]!);
      const d = at.get(move.timestamp + s.delayBars * s.stepMs);
      const delayed = d === undefined ? null : barDelta(alt.open[d]!, alt.close[d]!);
      events.push({
        timestamp: move.timestamp,
        base_coin: move.base_coin,
        altcoin: alt.symbol,
        base_delta: move.base_delta,
        altcoin_delta: altDelta,
        efficiency_score: altDelta / move.base_delta,
        delay_bars: s.delayBars,
        delayed_altcoin_delta: delayed,
        delayed_efficiency_score: delayed === null ? null : delayed / move.base_delta,
        altcoin_price: alt.close[i]!,
        altcoin_volume_24h: volume24h(alt, at, move.timestamp, s.stepMs),
      });
    }
  }
  const order = (a: { timestamp: number; base_coin: string }, b: { timestamp: number; base_coin: string }) =>
    a.timestamp - b.timestamp || a.base_coin.localeCompare(b.base_coin);
  events.sort((a, b) => order(a, b) || a.altcoin.localeCompare(b.altcoin));
  leadMoves.sort(order);
  return { events, leadMoves, missing };
}
