import type { z } from 'zod';
import { gridOfStep } from '../market/candle-rules.ts';
import { candleFlawed, noFlaws, scanFlaws, type WindowFlaws } from '../market/data-health.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';

/**
 * Data health for every bar of a replay without rescanning the window each bar: one pass
 * over the series counts, per index, the places where something is off (a step that is
 * not exactly one bar, a broken or off-grid candle, zero volume). A window with none of them is
 * clean in O(1); any other window is scanned exactly as a live run scans it.
 */
export function healthIndex(
  full: z.infer<typeof CandleSeries>,
  timeframeMs: number,
): (from: number, to: number) => WindowFlaws {
  const n = full.ts.length;
  // stepFlaws[i]: steps j <= i (j >= 1) that are not exactly one bar; barFlaws[i]: candles j < i flawed by themselves.
  const stepFlaws = new Int32Array(n);
  const barFlaws = new Int32Array(n + 1);
  const onGrid = gridOfStep(timeframeMs);
  for (let i = 0; i < n; i++) {
    barFlaws[i + 1] = barFlaws[i]! + (candleFlawed(full, i, onGrid) ? 1 : 0);
    stepFlaws[i] = (i > 0 ? stepFlaws[i - 1]! : 0) + (i > 0 && full.ts[i]! - full.ts[i - 1]! !== timeframeMs ? 1 : 0);
  }
  return (from, to) => {
    const steps = to - from > 1 ? stepFlaws[to - 1]! - stepFlaws[from]! : 0;
    const bars = barFlaws[to]! - barFlaws[from]!;
    if (steps === 0 && bars === 0) return noFlaws;
    return scanFlaws(
      {
        ts: full.ts.slice(from, to),
        open: full.open.slice(from, to),
        high: full.high.slice(from, to),
        low: full.low.slice(from, to),
        close: full.close.slice(from, to),
        volume: full.volume.slice(from, to),
      },
      0,
      timeframeMs,
    );
  };
}
