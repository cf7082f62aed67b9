/**
 * The replay's health index (backtest/health-index.ts) answers every window from running
 * counts; a live run scans the window (market/data-health.ts scanFlaws). They must agree
 * on every window, for series with every kind of flaw, or a backtest would decide on
 * different data health than a live run at the same bar.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { healthIndex } from '../../backtest/health-index.ts';
import { scanFlaws } from '../../market/data-health.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Each candle: the step from the one before (a bar, a gap, a repeat, a step back, off the grid) and its values. */
const candle = fc.record({
  step: fc.constantFrom(H, H, H, H, H, 2 * H, 5 * H, 0, -H, H / 2, 1.4 * H),
  price: fc.constantFrom(100, 100, 100, 101, 0, -1, Number.NaN, Number.POSITIVE_INFINITY),
  brokenRange: fc.boolean(),
  volume: fc.constantFrom(10, 10, 10, 0, 0, -1),
});

function series(cs: { step: number; price: number; brokenRange: boolean; volume: number }[]) {
  const s = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
  const ts: number[] = [];
  let t = T0;
  for (const [i, c] of cs.entries()) ts.push((t = i === 0 ? T0 : t + c.step));
  const col = (f: (c: (typeof cs)[number]) => number) => cs.map(f);
  return {
    ...s,
    ts,
    open: col((c) => c.price),
    high: col((c) => (c.brokenRange ? c.price - 1 : c.price + 1)),
    low: col((c) => c.price - 1),
    close: col((c) => c.price),
    volume: col((c) => c.volume),
  };
}

const window = <T>(a: T[], from: number, to: number) => a.slice(from, to);

describe('the replay health index', () => {
  it('gives the flaws a scan of the window finds, for every window of flawed series', () => {
    fc.assert(
      fc.property(fc.array(candle, { minLength: 1, maxLength: 60 }), fc.nat(), fc.nat(), (cs, a, b) => {
        const full = series(cs);
        const n = full.ts.length;
        const [from, to] = [a % (n + 1), b % (n + 1)].sort((x, y) => x - y) as [number, number];
        const scanned = scanFlaws(
          {
            ts: window(full.ts, from, to),
            open: window(full.open, from, to),
            high: window(full.high, from, to),
            low: window(full.low, from, to),
            close: window(full.close, from, to),
            volume: window(full.volume, from, to),
          },
          0,
          H,
        );
        expect(healthIndex(full, H)(from, to)).toEqual(scanned);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the largest gap first in time when two are equal, as the scan does', () => {
    const full = series(
      [H, 3 * H, H, 3 * H, H, 2 * H].map((step) => ({ step, price: 100, brokenRange: false, volume: 10 })),
    );
    const flaws = healthIndex(full, H)(0, full.ts.length);
    expect(flaws).toMatchObject({ gaps: 3, missingBars: 5, largest: { bars: 2, after: full.ts[0] } });
  });
});
