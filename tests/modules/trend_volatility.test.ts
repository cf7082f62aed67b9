import { describe, expect, it } from 'vitest';
import { manifest, prepare, requiredCandles, run } from '../../modules/context/trend_volatility_v1.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { contextKeys, indicators } from '../../sdk/index.ts';
import { sampleCandles, syntheticCandles } from '../helpers/sample-candles.ts';

const params = manifest.params.parse({});
const sdk = { indicators };

/** The module as a live run calls it: its columns prepared over the view's candles, then run at the newest. */
const runTv = (view: { candles: ReturnType<typeof sampleCandles> }, p: typeof params) =>
  run(view, p, sdk, preparedOver(prepare, view.candles, p));

function runOn(candles: ReturnType<typeof sampleCandles>, p = params) {
  const out = runTv({ candles }, p);
  const ms = contextKeys.market_state.schema.parse(out.outputs.market_state);
  const vol = contextKeys.volatility.schema.parse(out.outputs.volatility);
  return { ms, vol, rationale: out.rationale };
}

/** Independent reference implementations, written from the textbook definitions. */
function refEma(values: number[], period: number): number {
  let e = values.slice(0, period).reduce((s, x) => s + x, 0) / period; // SMA seed
  const k = 2 / (period + 1);
  for (let i = period; i < values.length; i++) e = values[i]! * k + e * (1 - k);
  return e;
}
function refAtr(h: number[], l: number[], c: number[], period: number): number {
  const tr: number[] = [];
  for (let i = 1; i < c.length; i++)
    tr.push(Math.max(h[i]! - l[i]!, Math.abs(h[i]! - c[i - 1]!), Math.abs(l[i]! - c[i - 1]!)));
  let a = tr.slice(0, period).reduce((s, x) => s + x, 0) / period; // Wilder: SMA seed, then (a*(n-1)+tr)/n
  for (let i = period; i < tr.length; i++) a = (a * (period - 1) + tr[i]!) / period;
  return a;
}

describe('indicator values match hand-computed ones', () => {
  it('EMA(3) of 10,11,12,13,15,14: seed 11, then 12, 13.5, 13.75', () => {
    const e = indicators.ema([10, 11, 12, 13, 15, 14], 3);
    expect(e.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(e.slice(2)).toEqual([11, 12, 13.5, 13.75]);
  });

  it('Wilder ATR(3): TRs 3,3,4,4,5 give 10/3, 32/9, 109/27', () => {
    const c = {
      high: [12, 13, 14, 13, 16, 15],
      low: [9, 10, 11, 9, 12, 10],
      close: [10, 12, 11, 12, 15, 11],
    };
    const a = indicators.atr(c, 3);
    expect(a.slice(0, 3).every(Number.isNaN)).toBe(true);
    expect(a[3]).toBeCloseTo(10 / 3, 10);
    expect(a[4]).toBeCloseTo(32 / 9, 10);
    expect(a[5]).toBeCloseTo(109 / 27, 10);
  });

  it('ADX is 100 when every candle makes a higher high and higher low (no -DM at all)', () => {
    const n = 40;
    const c = {
      high: Array.from({ length: n }, (_, i) => 102 + i),
      low: Array.from({ length: n }, (_, i) => 98 + i),
      close: Array.from({ length: n }, (_, i) => 100 + i),
    };
    const a = indicators.adx(c, 14);
    expect(a[n - 1]).toBeCloseTo(100, 6);
  });
});

describe('trend_volatility_v1 on real BTC/USDT 1h candles', () => {
  it('matches independently computed EMA/ATR and follows its own rules (Jan-Feb 2024 window)', () => {
    const candles = sampleCandles({ from: 0, to: 1000 });
    const { ms, vol, rationale } = runOn(candles);
    const close = candles.close;
    const last = close.length - 1;
    expect(ms.ema_fast).toBeCloseTo(refEma(close, 20), 6);
    expect(ms.ema_slow).toBeCloseTo(refEma(close, 50), 6);
    const slowThen = refEma(close.slice(0, last - 10 + 1), 50);
    expect(ms.ema_slope_pct).toBeCloseTo(((ms.ema_slow - slowThen) / slowThen) * 100, 6);
    expect(vol.atr).toBeCloseTo(refAtr(candles.high, candles.low, close, 14), 6);
    expect(vol.atr_pct).toBeCloseTo((vol.atr / close[last]!) * 100, 10);
    expect(rationale).toMatch(/ATR14 [\d.]+ = [\d.]+% of close/);
  });

  it('produces schema-valid, rule-consistent output across the whole year', () => {
    const year = sampleCandles();
    const seen = new Set<string>();
    for (let end = 300; end <= year.close.length; end += 97) {
      const { ms, vol } = runOn(sampleCandles({ from: end - 300, to: end }));
      seen.add(`${ms.trend}/${ms.regime}/${vol.band}`);
      if (ms.trend === 'up') expect(ms.ema_fast > ms.ema_slow && ms.ema_slope_pct >= 0.1).toBe(true);
      if (ms.trend === 'down') expect(ms.ema_fast < ms.ema_slow && ms.ema_slope_pct <= -0.1).toBe(true);
      if (ms.regime === 'volatile') expect(vol.atr_pct).toBeGreaterThanOrEqual(2);
      if (ms.regime === 'trending') expect(ms.adx >= 25 && vol.atr_pct < 2).toBe(true);
      if (ms.regime === 'ranging') expect(ms.adx < 25 && vol.atr_pct < 2).toBe(true);
      expect(vol.band).toBe(vol.atr_pct < 0.4 ? 'low' : vol.atr_pct > 1.2 ? 'high' : 'normal');
    }
    const trends = new Set([...seen].map((s) => s.split('/')[0]));
    expect(trends).toEqual(new Set(['up', 'down', 'flat']));
  });

  it('is deterministic: same view, same output', () => {
    const candles = sampleCandles({ from: 2000, to: 2300 });
    expect(runTv({ candles }, params)).toEqual(runTv({ candles }, params));
  });
});

describe('trend_volatility_v1 edge cases', () => {
  it('throws a clear not-enough-data error one candle short, and works at exactly the minimum', () => {
    const need = requiredCandles(params);
    expect(need).toBe(60); // EMA 50 + slope lookback 10 dominates ADX 2x14 and ATR 14+1
    expect(() => runTv({ candles: sampleCandles({ to: need - 1 }) }, params)).toThrow(
      'not enough data: need 60 candles, have 59',
    );
    expect(() => runOn(sampleCandles({ to: need }))).not.toThrow();
    expect(() => runTv({ candles: sampleCandles({ to: 0 }) }, params)).toThrow(/need 60 candles, have 0/);
  });

  it('a flat market (constant prices) is a flat, ranging, low-volatility market with ADX 0', () => {
    const { ms, vol } = runOn(syntheticCandles(new Array(120).fill(100)));
    expect(ms).toEqual({ trend: 'flat', regime: 'ranging', adx: 0, ema_fast: 100, ema_slow: 100, ema_slope_pct: 0 });
    expect(vol).toEqual({ atr: 0, atr_pct: 0, band: 'low' });
  });

  it('a price gap up after a flat stretch turns the trend up and lifts the ATR by the gap', () => {
    const closes = [...new Array(80).fill(100), ...new Array(5).fill(110)];
    const candles = syntheticCandles(closes, { range: 0.5 });
    const { ms, vol } = runOn(candles);
    expect(ms.trend).toBe('up');
    expect(ms.ema_fast).toBeGreaterThan(ms.ema_slow);
    // TR on the gap candle is 11 (99.5 -> 110.5) instead of 1: the ATR jumps above the pre-gap 1.
    expect(vol.atr).toBeGreaterThan(1);
    expect(vol.atr).toBeCloseTo(refAtr(candles.high, candles.low, closes, 14), 9);
  });

  it('params reject a fast EMA that is not faster than the slow one, and unknown keys', () => {
    expect(manifest.params.safeParse({ ema_fast: 50, ema_slow: 50 }).success).toBe(false);
    expect(manifest.params.safeParse({ emafast: 10 }).success).toBe(false);
  });
});
