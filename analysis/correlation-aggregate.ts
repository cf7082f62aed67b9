import { z } from 'zod';
import type { CorrelationEvent } from './lead-moves.ts';

/**
 * The seed's aggregation per (lead coin, altcoin) pair: average efficiency, its standard
 * deviation (the consistency: small means the altcoin follows by a similar factor each
 * time) and the hit count, ranked by average efficiency. Pure.
 *
 * The standard deviation is the sample one (divided by n - 1): the events are a sample of
 * the pair's behaviour, not all of it; with a single event it is undefined (null).
 * A hit is an event where the altcoin moved in the lead's direction (efficiency > 0).
 */

export const PairStats = z.object({
  base_coin: z.string(),
  altcoin: z.string(),
  /** Events of the pair: lead moves the altcoin had a candle for. */
  events: z.number().int(),
  hits: z.number().int(),
  avg_efficiency: z.number(),
  std_efficiency: z.number().nullable(),
  /** The same over the delayed window, over the events whose delayed bar is stored. */
  avg_delayed_efficiency: z.number().nullable(),
  delayed_hits: z.number().int(),
  /** The newest event's lead bar open time, ms UTC. */
  last_event: z.number(),
});
export type PairStats = z.infer<typeof PairStats>;

export type AggregatedEvent = Pick<
  CorrelationEvent,
  'timestamp' | 'base_coin' | 'altcoin' | 'efficiency_score' | 'delayed_efficiency_score'
>;

export const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** Sample standard deviation (n - 1); null for fewer than two values. */
export function sampleStdDev(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** One row per pair, highest average efficiency first (ties: more events, then by name). */
export function aggregatePairs(events: readonly AggregatedEvent[]): PairStats[] {
  const pairs = new Map<string, AggregatedEvent[]>();
  for (const e of events) {
    const key = `${e.base_coin}\u0000${e.altcoin}`;
    const list = pairs.get(key);
    if (list) list.push(e);
    else pairs.set(key, [e]);
  }
  const stats = [...pairs.values()].map((list): PairStats => {
    const eff = list.map((e) => e.efficiency_score);
    const delayed = list.flatMap((e) => (e.delayed_efficiency_score === null ? [] : [e.delayed_efficiency_score]));
    return {
      base_coin: list[0]!.base_coin,
      altcoin: list[0]!.altcoin,
      events: list.length,
      hits: eff.filter((x) => x > 0).length,
      avg_efficiency: mean(eff),
      std_efficiency: sampleStdDev(eff),
      avg_delayed_efficiency: delayed.length === 0 ? null : mean(delayed),
      delayed_hits: delayed.filter((x) => x > 0).length,
      last_event: list.reduce((m, e) => Math.max(m, e.timestamp), -Infinity),
    };
  });
  return stats.sort(
    (a, b) =>
      b.avg_efficiency - a.avg_efficiency ||
      b.events - a.events ||
      a.base_coin.localeCompare(b.base_coin) ||
      a.altcoin.localeCompare(b.altcoin),
  );
}
