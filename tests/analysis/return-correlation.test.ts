import { describe, expect, it } from 'vitest';
import {
  correlationMatrix,
  logReturns,
  pairCorrelation,
  pairCorrelations,
  pairKey,
  type ReturnSeries,
  windowBefore,
} from '../../analysis/return-correlation.ts';

/** Return correlation by hand: log returns aligned by candle time, Pearson over the shared bars of a window. */

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** Returns at consecutive hours from T0. */
const series = (r: number[], start = 0): ReturnSeries => ({ ts: r.map((_, i) => T0 + (start + i) * H), r: [...r] });
const all = { fromTs: -Infinity, toTs: Infinity };

describe('log returns', () => {
  it('are ln(close / previous close), none across a gap or from an unusable close', () => {
    const out = logReturns(
      { ts: [T0, T0 + H, T0 + 2 * H, T0 + 4 * H, T0 + 5 * H, T0 + 6 * H], close: [100, 110, 99, 90, 0, 50] },
      H,
    );
    // 2h -> 4h is a gap; the close of 0 gives no return into or out of it.
    expect(out.ts).toEqual([T0 + H, T0 + 2 * H]);
    expect(out.r[0]).toBeCloseTo(Math.log(1.1), 15);
    expect(out.r[1]).toBeCloseTo(Math.log(0.9), 15);
  });
});

describe('pearson correlation of returns', () => {
  it('matches a hand computation: x 1..5, y 2,1,4,3,5 gives 8 / sqrt(10 * 10) = 0.8', () => {
    const c = pairCorrelation(series([1, 2, 3, 4, 5]), series([2, 1, 4, 3, 5]), all, 5);
    expect(c.reason).toBeNull();
    expect(c.bars).toBe(5);
    expect(c.correlation).toBeCloseTo(0.8, 12);
  });

  it('is 1 for markets that move together (even at twice the size) and -1 for opposite moves', () => {
    const closes = [100, 101, 99.5, 102, 103.1, 101, 104, 104.5, 103, 106];
    const ts = closes.map((_, i) => T0 + i * H);
    const a = logReturns({ ts, close: closes }, H);
    const doubled = logReturns({ ts, close: closes.map((c) => (c / 100) ** 2 * 50) }, H);
    const mirrored = logReturns({ ts, close: closes.map((c) => 10_000 / c) }, H);
    expect(pairCorrelation(a, doubled, all, 5).correlation).toBeCloseTo(1, 12);
    expect(pairCorrelation(a, mirrored, all, 5).correlation).toBeCloseTo(-1, 12);
  });

  it('is 0 for independent patterns (up-down against up-up-down-down)', () => {
    const x = [1, -1, 1, -1, 1, -1, 1, -1];
    const y = [1, 1, -1, -1, 1, 1, -1, -1];
    expect(pairCorrelation(series(x), series(y), all, 8).correlation).toBeCloseTo(0, 15);
  });

  it('uses only the bars both markets have; too few shared bars gives null with the reason', () => {
    const a = series([1, 2, 3, 4, 5, 6]);
    // b lacks the bars at hours 1 and 4: the shared returns are (1,2) (3,4) (4,3) (6,5).
    const b: ReturnSeries = { ts: [T0, T0 + 2 * H, T0 + 3 * H, T0 + 5 * H], r: [2, 4, 3, 5] };
    const c = pairCorrelation(a, b, all, 4);
    expect(c.bars).toBe(4);
    // x 1,3,4,6 (mean 3.5), y 2,4,3,5 (mean 3.5): sxy 3.75-0.25-0.25+3.75 = 7, sxx 13, syy 5.
    expect(c.correlation).toBeCloseTo(7 / Math.sqrt(13 * 5), 12);
    expect(pairCorrelation(a, b, all, 5)).toEqual({
      correlation: null,
      bars: 4,
      reason: 'only 4 bars in common, fewer than the 5 needed',
    });
  });

  it('a price that never moved has no correlation, not 0', () => {
    const c = pairCorrelation(series([1, 2, 3, 4, 5]), series([0, 0, 0, 0, 0]), all, 5);
    expect(c.correlation).toBeNull();
    expect(c.reason).toBe('a price did not move over the window, so no correlation exists');
  });

  it('the window holds only bars closed by the decision time, so a later bar cannot change the value', () => {
    // The bar opening at 9h closes at 10h: a decision at 10h sees it, one at 9h does not.
    const w = windowBefore(T0 + 10 * H, 5 * H, H);
    expect(w).toEqual({ fromTs: T0 + 5 * H + 1 - H, toTs: T0 + 9 * H });
    const x = series([9, 9, 9, 9, 9, 1, 2, 3, 4, 5, 100]);
    const y = series([0, 0, 0, 0, 0, 2, 1, 4, 3, 5, -100]);
    const c = pairCorrelation(x, y, w, 5);
    expect(c.bars).toBe(5);
    expect(c.correlation).toBeCloseTo(0.8, 12);
  });
});

describe('correlation matrix and the pairs the cluster rule reads', () => {
  it('is symmetric with each pair measured once', () => {
    const m = correlationMatrix(
      [
        { symbol: 'A/USDT', returns: series([1, 2, 3, 4, 5]) },
        { symbol: 'B/USDT', returns: series([2, 1, 4, 3, 5]) },
        { symbol: 'C/USDT', returns: series([5, 4, 3, 2, 1]) },
      ],
      all,
      5,
    );
    expect(m.symbols).toEqual(['A/USDT', 'B/USDT', 'C/USDT']);
    const values = m.cells.map((row) => row.map((c) => Number(c.correlation!.toFixed(6))));
    expect(values).toEqual([
      [1, 0.8, -1],
      [0.8, 1, -0.8],
      [-1, -0.8, 1],
    ]);
  });

  it('keys each unordered pair once and gives null for a market without returns', () => {
    const returns = new Map([
      ['ETH/USDT', series(Array.from({ length: 30 }, (_, i) => Math.sin(i)))],
      ['BTC/USDT', series(Array.from({ length: 30 }, (_, i) => Math.sin(i) + 0.1 * Math.cos(3 * i)))],
    ]);
    const pairs = pairCorrelations(returns, ['ETH/USDT', 'BTC/USDT', 'SOL/USDT', 'ETH/USDT'], all);
    expect(Object.keys(pairs).sort()).toEqual(['BTC/USDT|ETH/USDT', 'BTC/USDT|SOL/USDT', 'ETH/USDT|SOL/USDT']);
    expect(pairs[pairKey('ETH/USDT', 'BTC/USDT')]).toBeGreaterThan(0.9);
    expect(pairs[pairKey('SOL/USDT', 'BTC/USDT')]).toBeNull();
  });
});
