import { countBefore } from '../core/sorted.ts';

/**
 * Rolling return correlation between markets, pure: log returns of closes aligned by
 * candle time, and the Pearson correlation over the bars two markets both have in a
 * window. Too few shared bars, or a price that never moved, gives null with the reason,
 * never a made-up number. The live risk gate, the backtest and `trader correlation
 * matrix` all measure through `pairCorrelation`, so they cannot disagree on a value.
 */

export const dayMs = 86_400_000;

/** Shared returns below this and a correlation is noise; the pair reports null instead. */
export const minSharedBars = 20;

/** One market's one-bar log returns, oldest first; `ts` is the open time of the bar the return ends on. */
export interface ReturnSeries {
  ts: number[];
  r: number[];
}

/**
 * ln(close / previous close) for each bar whose previous bar (one step earlier) exists.
 * A gap gives no return, rather than one that spans several bars; an unusable close
 * (not a positive finite number) gives none either.
 */
export function logReturns(candles: { ts: readonly number[]; close: readonly number[] }, stepMs: number): ReturnSeries {
  const out: ReturnSeries = { ts: [], r: [] };
  for (let i = 1; i < candles.ts.length; i++) {
    const prev = candles.close[i - 1]!;
    const close = candles.close[i]!;
    if (candles.ts[i]! - candles.ts[i - 1]! !== stepMs) continue;
    if (!(prev > 0 && close > 0 && Number.isFinite(prev) && Number.isFinite(close))) continue;
    out.ts.push(candles.ts[i]!);
    out.r.push(Math.log(close / prev));
  }
  return out;
}

/**
 * The bars a decision at `asOfMs` may measure over: those closed by then (open + step <=
 * asOf) and closed within the last `windowMs`, as an inclusive range of open times.
 */
export interface ReturnWindow {
  fromTs: number;
  toTs: number;
}

export function windowBefore(asOfMs: number, windowMs: number, stepMs: number): ReturnWindow {
  return { fromTs: asOfMs - windowMs - stepMs + 1, toTs: asOfMs - stepMs };
}

export type PairCorrelation =
  { correlation: number; bars: number; reason: null } | { correlation: null; bars: number; reason: string };

/** Calls `f` with each pair of returns both series have at the same time inside the window. */
function eachShared(a: ReturnSeries, b: ReturnSeries, w: ReturnWindow, f: (x: number, y: number) => void): void {
  let i = countBefore(a.ts, w.fromTs);
  let j = countBefore(b.ts, w.fromTs);
  while (i < a.ts.length && j < b.ts.length) {
    const ta = a.ts[i]!;
    const tb = b.ts[j]!;
    if (ta > w.toTs || tb > w.toTs) return;
    if (ta < tb) i++;
    else if (tb < ta) j++;
    else {
      f(a.r[i]!, b.r[j]!);
      i++;
      j++;
    }
  }
}

/**
 * Pearson correlation of two markets' returns over the bars both have in the window.
 * Two passes (means, then deviations), so the value does not suffer the cancellation a
 * one-pass sum of squares has on small returns.
 */
export function pairCorrelation(
  a: ReturnSeries,
  b: ReturnSeries,
  w: ReturnWindow,
  minBars = minSharedBars,
): PairCorrelation {
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  eachShared(a, b, w, (x, y) => {
    n++;
    sumX += x;
    sumY += y;
  });
  if (n < minBars)
    return { correlation: null, bars: n, reason: `only ${n} bars in common, fewer than the ${minBars} needed` };
  const mx = sumX / n;
  const my = sumY / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  eachShared(a, b, w, (x, y) => {
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
    sxy += (x - mx) * (y - my);
  });
  if (!(sxx > 0 && syy > 0))
    return { correlation: null, bars: n, reason: 'a price did not move over the window, so no correlation exists' };
  const c = sxy / Math.sqrt(sxx * syy);
  if (!Number.isFinite(c)) return { correlation: null, bars: n, reason: 'the returns are not finite numbers' };
  // Rounding can carry a perfect correlation a hair past 1.
  return { correlation: Math.max(-1, Math.min(1, c)), bars: n, reason: null };
}

/** The correlation matrix of several markets: cells[i][j] pairs symbols[i] with symbols[j]. */
export interface CorrelationMatrix {
  symbols: string[];
  cells: PairCorrelation[][];
}

export function correlationMatrix(
  markets: readonly { symbol: string; returns: ReturnSeries }[],
  w: ReturnWindow,
  minBars = minSharedBars,
): CorrelationMatrix {
  const cells = markets.map(() => [] as PairCorrelation[]);
  for (let i = 0; i < markets.length; i++) {
    for (let j = i; j < markets.length; j++) {
      const c = pairCorrelation(markets[i]!.returns, markets[j]!.returns, w, minBars);
      cells[i]![j] = c;
      cells[j]![i] = c;
    }
  }
  return { symbols: markets.map((m) => m.symbol), cells };
}

/** The key of an unordered pair of markets in a correlation record: `A|B` with A < B. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * Every pair of `symbols` (each once) with its correlation, or null when it cannot be
 * measured (a market without returns counts as unmeasured): what the cluster rule reads.
 */
export function pairCorrelations(
  returns: ReadonlyMap<string, ReturnSeries>,
  symbols: readonly string[],
  w: ReturnWindow,
): Record<string, number | null> {
  const unique = [...new Set(symbols)];
  const pairs: Record<string, number | null> = {};
  const none: ReturnSeries = { ts: [], r: [] };
  for (let i = 0; i < unique.length; i++)
    for (let j = i + 1; j < unique.length; j++) {
      const [a, b] = [unique[i]!, unique[j]!];
      pairs[pairKey(a, b)] = pairCorrelation(returns.get(a) ?? none, returns.get(b) ?? none, w).correlation;
    }
  return pairs;
}
