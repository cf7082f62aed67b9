/**
 * Candles whose open time is at or after `t` (ms): how many bars have passed since a
 * position opened or closed, counted on the candles themselves (no timeframe arithmetic).
 * `predates` when t is before the first candle in view: the count is then a lower bound.
 *
 * `ts` is the candle view's open times, oldest first (ascending), so the candles at or after t
 * are a suffix of it: a binary search finds where it starts, in O(log n) however old t is (a
 * position closed long ago in a long backtest history would otherwise be a scan of it all).
 */
export function barsSince(ts: readonly number[], t: number): { count: number; predates: boolean } {
  // First index of the suffix whose open times are all >= t (ts.length when none is).
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! >= t) hi = mid;
    else lo = mid + 1;
  }
  return { count: ts.length - lo, predates: ts.length === 0 || t < ts[0]! };
}

/** "1 bar", "3 bars". */
export const barsText = (n: number): string => `${n} bar${n === 1 ? '' : 's'}`;
