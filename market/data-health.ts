import type { z } from 'zod';
import type { CandleSeries, DataHealth } from '../sdk/context-schemas.ts';
import { gridOfStep, rangeSound, valuesSound } from './candle-rules.ts';

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
type HealthSeries = Pick<z.infer<typeof CandleSeries>, 'ts'> &
  Partial<Pick<z.infer<typeof CandleSeries>, 'open' | 'high' | 'low' | 'close' | 'volume'>>;

/** What is wrong inside the judged window, before any verdict. */
export interface WindowFlaws {
  gaps: number;
  missingBars: number;
  unordered: number;
  duplicates: number;
  largest: { bars: number; after: number };
  /** Candles with a non-finite, zero or negative price, or a non-finite or negative volume. */
  badValues: number;
  ohlcErrors: number;
  /** Candles whose open time is not on the timeframe's grid. */
  offGrid: number;
  /** Open time of the first candle of those three kinds, or null. */
  firstCorrupt: number | null;
  zeroStreak: number;
}

export const noFlaws: Readonly<WindowFlaws> = Object.freeze({
  gaps: 0,
  missingBars: 0,
  unordered: 0,
  duplicates: 0,
  largest: Object.freeze({ bars: 0, after: 0 }),
  badValues: 0,
  ohlcErrors: 0,
  offGrid: 0,
  firstCorrupt: null,
  zeroStreak: 0,
});

type CandleColumns = Pick<z.infer<typeof CandleSeries>, 'open' | 'high' | 'low' | 'close' | 'volume'>;

/** What is wrong with candle `i` on its own: values the store refuses, a high/low that does not contain them, or nothing. */
export function candleProblem(s: CandleColumns, i: number): 'values' | 'ohlc' | null {
  const c = { open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]!, volume: s.volume[i]! };
  if (!valuesSound(c)) return 'values';
  return rangeSound(c) ? null : 'ohlc';
}

/** Whether candle `i` is corrupt: values the store refuses, a broken range, or an open time off the grid. */
export function candleCorrupt(s: HealthSeries, i: number, onGrid: (ts: number) => boolean): boolean {
  return !onGrid(s.ts[i]!) || (hasPrices(s) && candleProblem(s, i) !== null);
}

const hasPrices = (s: HealthSeries): s is HealthSeries & CandleColumns =>
  !!(s.open && s.high && s.low && s.close && s.volume);

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
  return {
    gaps,
    missingBars,
    unordered,
    duplicates,
    largest,
    ...countCorrupt(series, from, gridOfStep(timeframeMs)),
    zeroStreak: longestZeroVolumeStreak(series.volume, from, series.volume?.length ?? 0),
  };
}

/** Counts the candles from `from` on that no decision may rest on, and the first one's open time. */
function countCorrupt(
  series: HealthSeries,
  from: number,
  onGrid: (ts: number) => boolean,
): Pick<WindowFlaws, 'badValues' | 'ohlcErrors' | 'offGrid' | 'firstCorrupt'> {
  let badValues = 0;
  let ohlcErrors = 0;
  let offGrid = 0;
  let firstCorrupt: number | null = null;
  const prices = hasPrices(series);
  for (let i = from; i < series.ts.length; i++) {
    const problem = prices ? candleProblem(series, i) : null;
    const grid = !onGrid(series.ts[i]!);
    if (problem === 'values') badValues++;
    if (problem === 'ohlc') ohlcErrors++;
    if (grid) offGrid++;
    if ((problem || grid) && firstCorrupt === null) firstCorrupt = series.ts[i]!;
  }
  return { badValues, ohlcErrors, offGrid, firstCorrupt };
}

/**
 * `flaws` may be given when the caller already knows them (a backtest indexes a whole
 * series once and knows in O(1) that a window is clean); by default they are scanned.
 */
export function checkDataHealth(
  series: HealthSeries,
  options: HealthOptions,
  known?: WindowFlaws,
): z.infer<typeof DataHealth> {
  const { timeframeMs, asOfMs, minBars } = options;
  const ts = series.ts;
  const from = Math.min(options.fromIndex ?? 0, ts.length);
  const bars = ts.length - from;
  const issues: string[] = [];
  const {
    gaps,
    missingBars,
    unordered,
    duplicates,
    largest,
    badValues,
    ohlcErrors,
    offGrid,
    firstCorrupt,
    zeroStreak,
  } = known ?? scanFlaws(series, from, timeframeMs);
  const maxZero = options.maxZeroVolumeStreak ?? 3;
  const lastCloseTs = bars > 0 ? ts[ts.length - 1]! + timeframeMs : null;
  const stale = lastCloseTs === null || asOfMs - lastCloseTs > timeframeMs + (options.staleGraceMs ?? 0);
  const fromFuture = lastCloseTs !== null && lastCloseTs > asOfMs;
  const tooFew = bars < minBars;
  const tooSparse = missingBars > MAX_MISSING_SHARE * bars;

  if (tooFew) issues.push(`Only ${bars} bars are available but ${minBars} are needed: import or fetch more history.`);
  if (unordered > 0)
    issues.push(`${unordered} candles are not in strictly ascending time order, so the series is corrupt.`);
  if (duplicates > 0)
    issues.push(`${duplicates} candle(s) repeat the time of the one before, so the series is corrupt.`);
  if (badValues > 0)
    issues.push(
      `${badValues} candle(s) have a missing, infinite, zero or negative price or volume, so the series is corrupt.`,
    );
  if (ohlcErrors > 0)
    issues.push(`${ohlcErrors} candle(s) have a high or low that does not contain their open and close.`);
  if (offGrid > 0)
    issues.push(`${offGrid} candle(s) open off the timeframe's grid (not one of its candle open times).`);
  if (zeroStreak >= maxZero)
    issues.push(`${zeroStreak} consecutive candles have zero volume: the market looks halted or dead.`);
  if (gaps > 0) {
    issues.push(
      `${gaps} gap(s) with ${missingBars} missing bar(s) in total; the largest is ${largest.bars} bar(s) after ${iso(largest.after)}.`,
    );
  }
  if (tooSparse) {
    issues.push(
      `Missing bars are ${pct(missingBars, bars)} of the series, above the ${MAX_MISSING_SHARE * 100}% limit.`,
    );
  }
  if (lastCloseTs === null) issues.push('There are no candles at all.');
  else if (stale)
    issues.push(
      `The newest candle closed at ${iso(lastCloseTs)}, more than one timeframe before ${iso(asOfMs)}, so the data is stale.`,
    );
  if (fromFuture)
    issues.push(
      `The newest candle closes at ${iso(lastCloseTs!)}, after ${iso(asOfMs)}: it was not closed at decision time.`,
    );

  return {
    ok:
      !tooFew &&
      !stale &&
      !tooSparse &&
      !fromFuture &&
      unordered === 0 &&
      duplicates === 0 &&
      badValues + ohlcErrors + offGrid === 0 &&
      zeroStreak < maxZero,
    bars,
    gaps,
    duplicates,
    bad_values: badValues,
    ohlc_errors: ohlcErrors,
    off_grid: offGrid,
    first_corrupt_ts: firstCorrupt,
    zero_volume_streak: zeroStreak,
    missing_bars: missingBars,
    last_close_ts: lastCloseTs,
    stale,
    issues,
  };
}

/** The longest run of zero-volume candles among indexes [from, to). */
export function longestZeroVolumeStreak(volume: readonly number[] | undefined, from: number, to: number): number {
  let longest = 0;
  let run = 0;
  for (let i = from; i < to; i++) {
    run = volume![i] === 0 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * Why a symbol is blocked before any module runs, or null. Candles whose values the
 * store refuses, or that open off the grid, cannot be decided on by any pipeline
 * (indicators over a NaN are NaN from there on), whatever filters it has.
 */
export function corruptDataReason(h: z.infer<typeof DataHealth>, symbol: string): string | null {
  if (h.first_corrupt_ts === null) return null;
  const kinds = [
    [h.bad_values, 'a missing, infinite, zero or negative price or volume'],
    [h.ohlc_errors, 'a high or low that does not contain open and close'],
    [h.off_grid, "an open time off the timeframe's grid"],
  ] as const;
  const what = kinds
    .filter(([n]) => n > 0)
    .map(([n, text]) => `${n} with ${text}`)
    .join(', ');
  return `data_health: corrupt candles in the last ${h.bars} (${what}), the first opening ${iso(h.first_corrupt_ts)}; list them with \`trader data check --symbols ${symbol}\` and remove them with --fix.`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / Math.max(whole, 1)).toFixed(1)}%`;
}
