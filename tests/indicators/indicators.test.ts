/**
 * Independent reference values for the indicator helpers the modules use (sdk/indicators.ts,
 * backed by `technicalindicators`) and the Bollinger helper of mean_reversion_v1. Expected values
 * are worked out by hand (small series) or by the tiny textbook implementations below, which
 * deliberately share no code with the library.
 */
import { describe, expect, it } from 'vitest';
import { bollinger } from '../../modules/agents/mean_reversion_v1.ts';
import { indicators } from '../../sdk/indicators.ts';

const TOL = 1e-9;
const leadingNaN = (xs: number[]) => {
  let k = 0;
  while (k < xs.length && Number.isNaN(xs[k]!)) k++;
  return k;
};
const close = (actual: number[], expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(a, `index ${i}`).toBeNaN();
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(e)));
  });
};

// ---------------------------------------------------------------------------------------------
// Textbook reference implementations (independent of the library). NaN until defined.
// ---------------------------------------------------------------------------------------------
function refSma(x: number[], p: number): number[] {
  return x.map((_, i) => (i < p - 1 ? NaN : x.slice(i - p + 1, i + 1).reduce((s, v) => s + v, 0) / p));
}
/** EMA with k = 2/(p+1), seeded with the SMA of the first p values (first value at index p-1). */
function refEma(x: number[], p: number): number[] {
  const out = x.map(() => NaN);
  const k = 2 / (p + 1);
  let e = x.slice(0, p).reduce((s, v) => s + v, 0) / p;
  out[p - 1] = e;
  for (let i = p; i < x.length; i++) out[i] = e = x[i]! * k + e * (1 - k);
  return out;
}
/** Wilder RSI: averages of the first p gains/losses (SMA seed), then avg = (avg*(p-1) + x)/p. First value at index p. */
function refRsi(x: number[], p: number): number[] {
  const out = x.map(() => NaN);
  let g = 0;
  let l = 0;
  for (let i = 1; i <= p; i++) {
    const d = x[i]! - x[i - 1]!;
    if (d > 0) g += d;
    else l -= d;
  }
  g /= p;
  l /= p;
  const rsi = () => (l === 0 ? 100 : 100 - 100 / (1 + g / l));
  out[p] = rsi();
  for (let i = p + 1; i < x.length; i++) {
    const d = x[i]! - x[i - 1]!;
    g = (g * (p - 1) + Math.max(d, 0)) / p;
    l = (l * (p - 1) + Math.max(-d, 0)) / p;
    out[i] = rsi();
  }
  return out;
}
const trueRange = (h: number[], l: number[], c: number[], i: number) =>
  Math.max(h[i]! - l[i]!, Math.abs(h[i]! - c[i - 1]!), Math.abs(l[i]! - c[i - 1]!));
/** Wilder ATR: TR from the 2nd bar; first ATR = mean of the first p TRs (index p), then (atr*(p-1)+tr)/p. */
function refAtr(h: number[], l: number[], c: number[], p: number): number[] {
  const out = c.map(() => NaN);
  let a = 0;
  for (let i = 1; i <= p; i++) a += trueRange(h, l, c, i);
  a /= p;
  out[p] = a;
  for (let i = p + 1; i < c.length; i++) out[i] = a = (a * (p - 1) + trueRange(h, l, c, i)) / p;
  return out;
}
/**
 * Wilder ADX: +DM/-DM/TR from the 2nd bar; Wilder-smoothed sums (first = plain sum of p values,
 * then S - S/p + x); +DI/-DI = 100 * sDM / sTR; DX = 100 |+DI - -DI| / (+DI + -DI) (first at index p);
 * ADX = mean of the first p DX (index 2p - 1), then (adx*(p-1) + dx)/p.
 */
function refAdx(h: number[], l: number[], c: number[], p: number): number[] {
  const out = c.map(() => NaN);
  let sTr = 0;
  let sP = 0;
  let sM = 0;
  const dxs: number[] = [];
  let adx = NaN;
  for (let i = 1; i < c.length; i++) {
    const up = h[i]! - h[i - 1]!;
    const down = l[i - 1]! - l[i]!;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    const tr = trueRange(h, l, c, i);
    if (i <= p) {
      sTr += tr;
      sP += pdm;
      sM += mdm;
      if (i < p) continue;
    } else {
      sTr = sTr - sTr / p + tr;
      sP = sP - sP / p + pdm;
      sM = sM - sM / p + mdm;
    }
    const pdi = (100 * sP) / sTr;
    const mdi = (100 * sM) / sTr;
    const dx = (100 * Math.abs(pdi - mdi)) / (pdi + mdi);
    dxs.push(dx);
    if (dxs.length === p) adx = dxs.reduce((s, v) => s + v, 0) / p;
    else if (dxs.length > p) adx = (adx * (p - 1) + dx) / p;
    if (dxs.length >= p) out[i] = adx;
  }
  return out;
}

// Short real-looking series (BTC 1h closes and H/L, rounded) used for the reference comparisons.
const C = [
  100, 102, 101, 103, 106, 105, 107, 104, 103, 105, 108, 110, 109, 111, 113, 112, 110, 108, 109, 111, 114, 116, 115,
  113, 117,
];
const H = C.map((c, i) => c + 1 + (i % 3) * 0.5);
const L = C.map((c, i) => c - 1 - (i % 4) * 0.25);

describe('SMA', () => {
  it('SMA(3) of 1..6 by hand: NaN, NaN, 2, 3, 4, 5', () => {
    close(indicators.sma([1, 2, 3, 4, 5, 6], 3), [NaN, NaN, 2, 3, 4, 5]);
  });
  it('SMA(5) on a 25-value series matches the reference, p-1 = 4 leading NaN', () => {
    const s = indicators.sma(C, 5);
    expect(leadingNaN(s)).toBe(4);
    close(s, refSma(C, 5));
    // by hand: (100 + 102 + 101 + 103 + 106) / 5 = 102.4
    expect(s[4]).toBeCloseTo(102.4, 9);
  });
});

describe('EMA (seeded with the SMA of the first p values)', () => {
  it('EMA(3) of 10,11,12,13,15,14 by hand: seed (10+11+12)/3 = 11; k = 0.5: 12, 13.5, 13.75', () => {
    close(indicators.ema([10, 11, 12, 13, 15, 14], 3), [NaN, NaN, 11, 12, 13.5, 13.75]);
  });
  it('EMA(4) by hand: seed 2.5, k = 0.4: 2.5*0.6 + 5*0.4 = 3.5, then 3.5*0.6 + 10*0.4 = 6.1', () => {
    close(indicators.ema([1, 2, 3, 4, 5, 10], 4), [NaN, NaN, NaN, 2.5, 3.5, 6.1]);
  });
  it('EMA(10) on 25 values matches the reference, p-1 = 9 leading NaN', () => {
    const e = indicators.ema(C, 10);
    expect(leadingNaN(e)).toBe(9);
    close(e, refEma(C, 10));
  });
});

/**
 * LIBRARY CONVENTION (found by these tests): technicalindicators' RSI ROUNDS every value to 2
 * decimals (parseFloat(x.toFixed(2))). So the sdk rsi equals the exact Wilder RSI rounded to 2
 * decimals, i.e. within 0.005 of it, not within 1e-9. Modules compare RSI with integer thresholds
 * (30/70, 40...), so at most a value within 0.005 of a threshold can be classed differently.
 */
const round2 = (xs: number[]) => xs.map((x) => (Number.isNaN(x) ? NaN : Number(x.toFixed(2))));
const rsiClose = (actual: number[], exact: number[]) => {
  close(actual, round2(exact));
  actual.forEach((a, i) => {
    if (!Number.isNaN(exact[i]!)) expect(Math.abs(a - exact[i]!)).toBeLessThanOrEqual(0.005 + 1e-12);
  });
};

describe('RSI (Wilder smoothing, SMA seed of the first p changes; library rounds to 2 decimals)', () => {
  it('RSI(3) by hand on 10, 11, 10, 12, 12, 9', () => {
    // changes: +1, -1, +2, 0, -3. Seed over the first 3: avgGain = 3/3 = 1, avgLoss = 1/3 -> RS 3 -> RSI 75.
    // next change 0: avgGain = (1*2 + 0)/3 = 2/3, avgLoss = (1/3*2 + 0)/3 = 2/9 -> RS 3 -> RSI 75.
    // next change -3: avgGain = (2/3*2)/3 = 4/9, avgLoss = (2/9*2 + 3)/3 = 31/27 -> RS = 12/31 -> RSI = 100 - 100/(1 + 12/31) = 1200/43.
    rsiClose(indicators.rsi([10, 11, 10, 12, 12, 9], 3), [NaN, NaN, NaN, 75, 75, 1200 / 43]);
    expect(indicators.rsi([10, 11, 10, 12, 12, 9], 3)[5]).toBe(27.91); // 1200/43 = 27.906976... rounded
  });
  it('RSI(14) on 25 values matches the Wilder reference, p = 14 leading NaN (needs p + 1 closes)', () => {
    const r = indicators.rsi(C, 14);
    expect(leadingNaN(r)).toBe(14);
    rsiClose(r, refRsi(C, 14));
  });
  it('RSI is 100 when there is no loss at all', () => {
    const r = indicators.rsi([1, 2, 3, 4, 5, 6], 3);
    expect(leadingNaN(r)).toBe(3);
    close(r.slice(3), [100, 100, 100]);
  });
});

describe('ATR (Wilder)', () => {
  it('ATR(3) by hand: TRs 3,3,4,4,5 -> 10/3, (10/3*2 + 4)/3 = 32/9, (32/9*2 + 5)/3 = 109/27', () => {
    const c = { high: [12, 13, 14, 13, 16, 15], low: [9, 10, 11, 9, 12, 10], close: [10, 12, 11, 12, 15, 11] };
    // TR1 = max(13-10, |13-10|, |10-10|) = 3; TR2 = max(3, |14-12|, |11-12|) = 3; TR3 = max(4, |13-11|, |9-11|) = 4;
    // TR4 = max(4, |16-12|, |12-12|) = 4; TR5 = max(5, |15-15|, |10-15|) = 5.
    close(indicators.atr(c, 3), [NaN, NaN, NaN, 10 / 3, 32 / 9, 109 / 27]);
  });
  it('ATR(14) on 25 bars matches the reference, p = 14 leading NaN (first TR needs a previous close)', () => {
    const a = indicators.atr({ high: H, low: L, close: C }, 14);
    expect(leadingNaN(a)).toBe(14);
    close(a, refAtr(H, L, C, 14));
  });
});

describe('ADX (Wilder)', () => {
  it('ADX(5) on 25 bars matches the textbook reference, 2p - 1 = 9 leading NaN', () => {
    const a = indicators.adx({ high: H, low: L, close: C }, 5);
    expect(leadingNaN(a)).toBe(9);
    close(a, refAdx(H, L, C, 5));
  });
  it('ADX(3) by hand on a strictly rising market (no -DM): every DX is 100, so ADX = 100 from index 5', () => {
    const n = 12;
    const c = {
      high: Array.from({ length: n }, (_, i) => 102 + i),
      low: Array.from({ length: n }, (_, i) => 98 + i),
      close: Array.from({ length: n }, (_, i) => 100 + i),
    };
    const a = indicators.adx(c, 3);
    expect(leadingNaN(a)).toBe(5);
    close(a.slice(5), Array(n - 5).fill(100));
    close(a, refAdx(c.high, c.low, c.close, 3));
  });
  it('ADX(14) on 30 bars: 27 leading NaN', () => {
    const n = 30;
    const cl = Array.from({ length: n }, (_, i) => 100 + 5 * Math.sin(i / 3) + i * 0.2);
    const hi = cl.map((x, i) => x + 1 + (i % 5) * 0.1);
    const lo = cl.map((x, i) => x - 1 - (i % 7) * 0.1);
    const a = indicators.adx({ high: hi, low: lo, close: cl }, 14);
    expect(leadingNaN(a)).toBe(27);
    close(a, refAdx(hi, lo, cl, 14));
  });
});

describe('highest / lowest over [from, to)', () => {
  it('by hand', () => {
    expect(indicators.highest([3, 9, 4, 7], 1, 3)).toBe(9);
    expect(indicators.highest([3, 9, 4, 7], 2, 4)).toBe(7);
    expect(indicators.lowest([3, 9, 4, 7], 1, 4)).toBe(4);
  });
});

describe('bollinger (mean_reversion_v1): SMA middle, POPULATION standard deviation', () => {
  it('by hand on 2, 4, 4, 4, 5, 5, 7, 9 (period 8): mean 5, population sd 2 -> 1 / 5 / 9 at k = 2', () => {
    // deviations -3,-1,-1,-1,0,0,2,4 -> squares 9,1,1,1,0,0,4,16 = 32; 32/8 = 4; sqrt 2 (sample sd would be sqrt(32/7)).
    const b = bollinger([2, 4, 4, 4, 5, 5, 7, 9], 8, 2, indicators.sma);
    expect(b.middle).toBeCloseTo(5, 12);
    expect(b.sd).toBeCloseTo(2, 12);
    expect(b.upper).toBeCloseTo(9, 12);
    expect(b.lower).toBeCloseTo(1, 12);
  });
  it('uses only the last `period` values', () => {
    // last 3 of 100, 1, 2, 3: mean 2, population sd sqrt(2/3)
    const b = bollinger([100, 1, 2, 3], 3, 1.5, indicators.sma);
    expect(b.middle).toBeCloseTo(2, 12);
    expect(b.sd).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(b.upper).toBeCloseTo(2 + 1.5 * Math.sqrt(2 / 3), 12);
  });
  it('matches a straightforward reference on the 25-value series (period 20, k 2)', () => {
    const w = C.slice(-20);
    const m = w.reduce((s, v) => s + v, 0) / 20;
    const sd = Math.sqrt(w.reduce((s, v) => s + (v - m) ** 2, 0) / 20);
    const b = bollinger(C, 20, 2, indicators.sma);
    expect(Math.abs(b.middle - m)).toBeLessThan(TOL);
    expect(Math.abs(b.sd - sd)).toBeLessThan(TOL);
    expect(Math.abs(b.lower - (m - 2 * sd))).toBeLessThan(TOL);
  });
});
