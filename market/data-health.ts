import type { z } from 'zod';
import type { CandleSeries, DataHealth } from '../sdk/context-schemas.ts';

export interface HealthOptions {
  timeframeMs: number;
  /** Decision time in ms: staleness is measured against it. */
  asOfMs: number;
  /** Fewest bars the strategy needs; fewer makes the data not ok. */
  minBars: number;
  /** Extra delay allowed for the exchange to publish the newest candle before the data counts as stale (default 0). */
  staleGraceMs?: number;
  /** This many consecutive zero-volume candles mean the market was halted or dead (default 3). */
  maxZeroVolumeStreak?: number;
  /** Judge only the candles from this index on: a backtest's view is longer than the window a live run loads (default 0). */
  fromIndex?: number;
}

/** Gaps are normal (exchange outages) until they make up more than this share of the bars. */
export const MAX_MISSING_SHARE = 0.05;

/**
 * Judges whether a candle series is fit to decide on. Pure, so backtests and live runs
 * judge identically. Gaps are reported but only fail the check when missing bars exceed
 * 5%; too few bars, stale data, or candles not closed by as_of always fail it.
 */
type HealthSeries = Pick<z.infer<typeof CandleSeries>, 'ts'> & Partial<Pick<z.infer<typeof CandleSeries>, 'open' | 'high' | 'low' | 'close' | 'volume'>>;

/** What is wrong inside the judged window, before any verdict. */
export interface WindowFlaws {
  gaps: number;
  missingBars: number;
  unordered: number;
  duplicates: number;
  largest: { bars: number; after: number };
  ohlcErrors: number;
  zeroStreak: number;
}

export const noFlaws: Readonly<WindowFlaws> = Object.freeze({ gaps: 0, missingBars: 0, unordered: 0, duplicates: 0, largest: Object.freeze({ bars: 0, after: 0 }), ohlcErrors: 0, zeroStreak: 0 });

/** Scans candles from index `from` to the end for gaps, disorder, repeats, broken candles and dead volume. */
export function scanFlaws(series: HealthSeries, from: number, timeframeMs: number): WindowFlaws {
  const ts = series.ts;
  let gaps = 0;
  let missingBars = 0;
  let unordered = 0;
  let duplicates = 0;
  let largest = { bars: 0, after: 0 };
  for (let i = from + 1; i < ts.length; i++) {
    const step = ts[i]! - ts[i - 1]!;
    if (step === 0) duplicates++;
    else if (step < 0) unordered++;
    else if (step > timeframeMs) {
      const missing = Math.round(step / timeframeMs) - 1;
      gaps++;
      missingBars += missing;
      if (missing > largest.bars) largest = { bars: missing, after: ts[i - 1]! };
    }
  }
  return { gaps, missingBars, unordered, duplicates, largest, ohlcErrors: countOhlcErrors(series, from), zeroStreak: longestZeroVolumeStreak(series.volume, from) };
}

/**
 * `flaws` may be given when the caller already knows them (a backtest indexes a whole
 * series once and knows in O(1) that a window is clean); by default they are scanned.
 */
export function checkDataHealth(series: HealthSeries, options: HealthOptions, known?: WindowFlaws): z.infer<typeof DataHealth> {
  const { timeframeMs, asOfMs, minBars } = options;
  const ts = series.ts;
  const from = Math.min(options.fromIndex ?? 0, ts.length);
  const bars = ts.length - from;
  const issues: string[] = [];
  const { gaps, missingBars, unordered, duplicates, largest, ohlcErrors, zeroStreak } = known ?? scanFlaws(series, from, timeframeMs);
  const maxZero = options.maxZeroVolumeStreak ?? 3;
  const lastCloseTs = bars > 0 ? ts[ts.length - 1]! + timeframeMs : null;
  const stale = lastCloseTs === null || asOfMs - lastCloseTs > timeframeMs + (options.staleGraceMs ?? 0);
  const fromFuture = lastCloseTs !== null && lastCloseTs > asOfMs;
  const tooFew = bars < minBars;
  const tooSparse = missingBars > MAX_MISSING_SHARE * bars;

  if (tooFew) issues.push(`Only ${bars} bars are available but ${minBars} are needed: import or fetch more history.`);
  if (unordered > 0) issues.push(`${unordered} candles are not in strictly ascending time order, so the series is corrupt.`);
  if (duplicates > 0) issues.push(`${duplicates} candle(s) repeat the time of the one before, so the series is corrupt.`);
  if (ohlcErrors > 0) issues.push(`${ohlcErrors} candle(s) have a high or low that does not contain their open and close.`);
  if (zeroStreak >= maxZero) issues.push(`${zeroStreak} consecutive candles have zero volume: the market looks halted or dead.`);
  if (gaps > 0) {
    issues.push(
      `${gaps} gap(s) with ${missingBars} missing bar(s) in total; the largest is ${largest.bars} bar(s) after ${iso(largest.after)}.`,
    );
  }
  if (tooSparse) {
    issues.push(`Missing bars are ${pct(missingBars, bars)} of the series, above the ${MAX_MISSING_SHARE * 100}% limit.`);
  }
  if (lastCloseTs === null) issues.push('There are no candles at all.');
  else if (stale) issues.push(`The newest candle closed at ${iso(lastCloseTs)}, more than one timeframe before ${iso(asOfMs)}, so the data is stale.`);
  if (fromFuture) issues.push(`The newest candle closes at ${iso(lastCloseTs!)}, after ${iso(asOfMs)}: it was not closed at decision time.`);

  return {
    ok: !tooFew && !stale && !tooSparse && !fromFuture && unordered === 0 && duplicates === 0 && ohlcErrors === 0 && zeroStreak < maxZero,
    bars,
    gaps,
    duplicates,
    ohlc_errors: ohlcErrors,
    zero_volume_streak: zeroStreak,
    missing_bars: missingBars,
    last_close_ts: lastCloseTs,
    stale,
    issues,
  };
}

function countOhlcErrors(s: Partial<Pick<z.infer<typeof CandleSeries>, 'open' | 'high' | 'low' | 'close'>>, from: number): number {
  if (!s.open || !s.high || !s.low || !s.close) return 0;
  let n = 0;
  for (let i = from; i < s.open.length; i++) {
    const o = s.open[i]!;
    const c = s.close[i]!;
    if (s.high[i]! < Math.max(o, c, s.low[i]!) || s.low[i]! > Math.min(o, c)) n++;
  }
  return n;
}

function longestZeroVolumeStreak(volume: readonly number[] | undefined, from: number): number {
  let longest = 0;
  let run = 0;
  for (let i = from; i < (volume?.length ?? 0); i++) {
    run = volume![i] === 0 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / Math.max(whole, 1)).toFixed(1)}%`;
}
