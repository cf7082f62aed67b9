import { loadCandleSeries } from '../market/candles-repo.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import type { Queryable } from '../store/db.ts';
import { dayMs, logReturns, pairCorrelations, type ReturnSeries, windowBefore } from './return-correlation.ts';

/**
 * Returns of stored candles as of a decision time: the candle store only, no exchange
 * (a gate check or `correlation matrix` never waits on the network). Unsound rows are
 * skipped, as a backtest takes corrupt rows out of its replay.
 */

export interface StoredReturnsRequest {
  exchange: string;
  timeframe: string;
  symbols: readonly string[];
  asOf: Date;
  windowMs: number;
}

/** Each market's returns over the window (one extra candle for the first return); an empty series when none are stored. */
export async function storedReturns(q: Queryable, o: StoredReturnsRequest): Promise<Map<string, ReturnSeries>> {
  const stepMs = parseTimeframe(o.timeframe);
  const limit = Math.ceil(o.windowMs / stepMs) + 1;
  const out = new Map<string, ReturnSeries>();
  for (const symbol of new Set(o.symbols)) {
    const candles = await loadCandleSeries(q, {
      exchange: o.exchange,
      symbol,
      timeframe: o.timeframe,
      asOf: o.asOf,
      limit,
      soundOnly: true,
    });
    out.set(symbol, logReturns(candles, stepMs));
  }
  return out;
}

/**
 * The correlations the cluster rule reads for a live gate check: every pair of the
 * intent's market and the open ones, over the profile's window as of the decision.
 */
export async function clusterCorrelationsAsOf(
  q: Queryable,
  o: { exchange: string; timeframe: string; symbols: readonly string[]; asOf: Date; windowDays: number },
): Promise<{ pairs: Record<string, number | null> }> {
  const windowMs = o.windowDays * dayMs;
  const returns = await storedReturns(q, { ...o, windowMs });
  const w = windowBefore(o.asOf.getTime(), windowMs, parseTimeframe(o.timeframe));
  return { pairs: pairCorrelations(returns, o.symbols, w) };
}
