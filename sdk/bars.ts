/**
 * Candles whose open time is at or after `t` (ms): how many bars have passed since a
 * position opened or closed, counted on the candles themselves (no timeframe arithmetic).
 * `predates` when t is before the first candle in view: the count is then a lower bound.
 */
export function barsSince(ts: readonly number[], t: number): { count: number; predates: boolean } {
  let count = 0;
  for (let i = ts.length - 1; i >= 0 && ts[i]! >= t; i--) count++;
  return { count, predates: ts.length === 0 || t < ts[0]! };
}

/** "1 bar", "3 bars". */
export const barsText = (n: number): string => `${n} bar${n === 1 ? '' : 's'}`;
