import type { z } from 'zod';
import { countBefore } from '../core/sorted.ts';
import { gridOfStep } from '../market/candle-rules.ts';
import { candleProblem, longestZeroVolumeStreak, noFlaws, type WindowFlaws } from '../market/data-health.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';

/**
 * Data health for every bar of a replay without rescanning the window each bar: one pass
 * over the series keeps running counts of what scanFlaws counts (steps that are gaps,
 * repeats or go back; broken, off-grid and zero-volume candles) and the places of the
 * rare ones (gaps, corrupt candles), so any window's flaws come from differences of counts
 * and a few lookups, equal to a scan of that window (tests/backtest/health-index.test.ts).
 * Real history has gaps, so a window holding one must not cost a scan for every bar after it.
 */
export function healthIndex(
  full: z.infer<typeof CandleSeries>,
  timeframeMs: number,
): (from: number, to: number) => WindowFlaws {
  const { ts, volume } = full;
  const n = ts.length;
  const onGrid = gridOfStep(timeframeMs);
  // Step counts at i: steps j in [1, i] (step j joins candles j-1 and j).
  const gapsUpTo = new Int32Array(n);
  const missingUpTo = new Float64Array(n);
  const unorderedUpTo = new Int32Array(n);
  const duplicatesUpTo = new Int32Array(n);
  // Candle counts at i: candles j < i.
  const badBefore = new Int32Array(n + 1);
  const ohlcBefore = new Int32Array(n + 1);
  const offGridBefore = new Int32Array(n + 1);
  const zeroBefore = new Int32Array(n + 1);
  const gapSteps: number[] = [];
  const corrupt: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      const step = ts[i]! - ts[i - 1]!;
      const gap = step > timeframeMs;
      gapsUpTo[i] = gapsUpTo[i - 1]! + (gap ? 1 : 0);
      missingUpTo[i] = missingUpTo[i - 1]! + (gap ? Math.round(step / timeframeMs) - 1 : 0);
      unorderedUpTo[i] = unorderedUpTo[i - 1]! + (step < 0 ? 1 : 0);
      duplicatesUpTo[i] = duplicatesUpTo[i - 1]! + (step === 0 ? 1 : 0);
      if (gap) gapSteps.push(i);
    }
    const problem = candleProblem(full, i);
    const offGrid = !onGrid(ts[i]!);
    badBefore[i + 1] = badBefore[i]! + (problem === 'values' ? 1 : 0);
    ohlcBefore[i + 1] = ohlcBefore[i]! + (problem === 'ohlc' ? 1 : 0);
    offGridBefore[i + 1] = offGridBefore[i]! + (offGrid ? 1 : 0);
    zeroBefore[i + 1] = zeroBefore[i]! + (volume[i] === 0 ? 1 : 0);
    if (problem || offGrid) corrupt.push(i);
  }
  return (from, to) => {
    // The window's steps are j in [from + 1, to - 1]: none when it holds fewer than two candles.
    const steps = (upTo: Int32Array | Float64Array) => (to - from > 1 ? upTo[to - 1]! - upTo[from]! : 0);
    const gaps = steps(gapsUpTo);
    const unordered = steps(unorderedUpTo);
    const duplicates = steps(duplicatesUpTo);
    const badValues = badBefore[to]! - badBefore[from]!;
    const ohlcErrors = ohlcBefore[to]! - ohlcBefore[from]!;
    const offGrid = offGridBefore[to]! - offGridBefore[from]!;
    const zeros = zeroBefore[to]! - zeroBefore[from]!;
    if (gaps + unordered + duplicates + badValues + ohlcErrors + offGrid + zeros === 0) return noFlaws;
    // The largest gap: the first of the biggest, as a scan in time order finds it.
    let largest = { bars: 0, after: 0 };
    for (let g = countBefore(gapSteps, from + 1); g < gapSteps.length && gapSteps[g]! < to; g++) {
      const i = gapSteps[g]!;
      const missing = Math.round((ts[i]! - ts[i - 1]!) / timeframeMs) - 1;
      if (missing > largest.bars) largest = { bars: missing, after: ts[i - 1]! };
    }
    const c = countBefore(corrupt, from);
    return {
      gaps,
      missingBars: steps(missingUpTo),
      unordered,
      duplicates,
      largest,
      badValues,
      ohlcErrors,
      offGrid,
      firstCorrupt: c < corrupt.length && corrupt[c]! < to ? ts[corrupt[c]!]! : null,
      zeroStreak: zeros === 0 ? 0 : longestZeroVolumeStreak(volume, from, to),
    };
  };
}
