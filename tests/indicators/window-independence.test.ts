/**
 * Finite-window indicators do not depend on where the history starts, to the last bit: the
 * SDK's sma, highest and lowest, the run's indicator cache (computed once over a backtest's
 * whole series) and mean_reversion_v1's Bollinger bands give the same value at a bar whether
 * the series begins at bar 0 or any later bar. A running sum carries float residue from every
 * value that ever entered it, so at an exact tie (two SMAs equal on coarse ticks) a live run
 * and a backtest starting elsewhere would decide the same candle differently.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bollinger } from '../../modules/agents/mean_reversion_v1.ts';
import { asOfCandles, fixedCandles } from '../../engine/run/as-of-view.ts';
import { cachedIndicators } from '../../engine/run/indicator-cache.ts';
import { indicators } from '../../sdk/indicators.ts';
import { sampleCandles } from '../helpers/sample-candles.ts';

/** Prices on a 0.01 tick, as exchanges quote them: decimal fractions a double cannot hold exactly. */
const ticked = (min: number, max: number) =>
  fc.integer({ min: Math.round(min * 100), max: Math.round(max * 100) }).map((k) => k / 100);
const seriesArb = fc
  .tuple(fc.constantFrom(1, 100, 60_000), fc.integer({ min: 250, max: 600 }))
  .chain(([level, n]) => fc.array(ticked(level * 0.9, level * 1.1), { minLength: n, maxLength: n }));
const caseArb = seriesArb.chain((values) =>
  fc.record({
    values: fc.constant(values),
    period: fc.integer({ min: 2, max: 200 }),
    start: fc.integer({ min: 1, max: 40 }),
  }),
);

/** At each bar the later series covers (past its leading NaN), it holds the very double the full series holds. */
function sameFromBothStarts(full: readonly number[], later: readonly number[], start: number): void {
  let compared = 0;
  for (let i = 0; i < later.length; i++) {
    if (Number.isNaN(later[i]!)) continue;
    compared++;
    if (!Object.is(full[i + start], later[i]))
      expect({ bar: i + start, value: later[i] }).toEqual({ bar: i + start, value: full[i + start] });
  }
  expect(compared).toBeGreaterThan(0);
}

describe('finite-window indicators are bit-identical whatever the window start', () => {
  it('sma: the series from bar 0 and from any later bar agree at every bar both fully cover', () => {
    fc.assert(
      fc.property(caseArb, ({ values, period, start }) => {
        const full = indicators.sma(values, period);
        const later = indicators.sma(values.slice(start), period);
        sameFromBothStarts(full, later, start);
      }),
      { numRuns: 300 },
    );
  });

  it('highest / lowest over the same bars, whatever precedes them', () => {
    fc.assert(
      fc.property(caseArb, ({ values, period, start }) => {
        const tail = values.slice(start);
        const n = values.length;
        expect(indicators.highest(tail, n - start - period, n - start)).toBe(indicators.highest(values, n - period, n));
        expect(indicators.lowest(tail, n - start - period, n - start)).toBe(indicators.lowest(values, n - period, n));
      }),
      { numRuns: 300 },
    );
  });

  it('real BTC/USDT 1h 2024: SMA 20/50/200 and mean_reversion Bollinger bands from bar 0 and from bar 1000 agree', () => {
    const close = sampleCandles({ from: 0, to: 4000 }).close;
    for (const period of [20, 50, 200])
      sameFromBothStarts(indicators.sma(close, period), indicators.sma(close.slice(1000), period), 1000);
    for (const end of [1500, 2222, 3999]) {
      expect(bollinger(close.slice(1000, end), 20, 2, indicators.sma)).toEqual(
        bollinger(close.slice(0, end), 20, 2, indicators.sma),
      );
    }
  });

  it("the run's indicator cache: a backtest's growing view from bar 0 and a live run's window give the same SMA", () => {
    const series = sampleCandles({ from: 0, to: 3000 });
    const backtest = asOfCandles(series, 0, 0);
    for (const end of [700, 1234, 2999]) {
      backtest.advanceTo(end);
      const fromZero = cachedIndicators.sma(backtest.view.close, 50).at(-1);
      const cut = (a: number[]) => a.slice(end - 300, end);
      const live = fixedCandles({
        ...series,
        ts: cut(series.ts),
        open: cut(series.open),
        high: cut(series.high),
        low: cut(series.low),
        close: cut(series.close),
        volume: cut(series.volume),
      });
      expect(cachedIndicators.sma(live.close, 50).at(-1)).toBe(fromZero);
    }
  });
});
