import { describe, expect, it } from 'vitest';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { bollinger, manifest, prepare, run } from '../../modules/agents/mean_reversion_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, syntheticCandles } from '../helpers/sample-candles.ts';
import { sdk, signalRunner, trendContext } from '../helpers/module-views.ts';

const params = manifest.params.parse({});

/** Candles up to and including `last` (300 of them), with the real context module's market_state. */
function realView(last: number) {
  const candles = sampleCandles({ from: last - 299, to: last + 1 });
  const ctx = trendContext(candles);
  return { candles, market_state: ctx.market_state! };
}

const signals = signalRunner(run, params, prepare);

const rangingState: ContextValue<'market_state'> = {
  trend: 'flat',
  regime: 'ranging',
  adx: 15,
  ema_fast: 100,
  ema_slow: 100,
  ema_slope_pct: 0,
};

/** Independent Bollinger computation: plain loops, population variance (divide by N). */
function bands(closes: readonly number[], period = 20, k = 2) {
  const w = closes.slice(closes.length - period);
  let sum = 0;
  for (const x of w) sum += x;
  const mean = sum / period;
  let ss = 0;
  for (const x of w) ss += (x - mean) * (x - mean);
  const sd = Math.sqrt(ss / period);
  return { mean, sd, lower: mean - k * sd, upper: mean + k * sd };
}

describe('bollinger helper: population standard deviation', () => {
  it('matches the textbook example 2,4,4,4,5,5,7,9 (mean 5, population sd 2, not the sample sd 2.138)', () => {
    const b = bollinger([2, 4, 4, 4, 5, 5, 7, 9], 8, 2, indicators.sma);
    expect(b).toEqual({ middle: 5, sd: 2, upper: 9, lower: 1 });
  });

  it('uses only the last `period` values', () => {
    const b = bollinger([1000, 2, 4, 4, 4, 5, 5, 7, 9], 8, 1, indicators.sma);
    expect(b).toEqual({ middle: 5, sd: 2, upper: 7, lower: 3 });
  });
});

describe('mean_reversion_v1 on real BTC/USDT 1h candles', () => {
  it('fires long on 2024-01-22 04:00 UTC: close 40786.41 under the lower band 41102.67, RSI 23.33, ranging', () => {
    const view = realView(508);
    const c = view.candles;
    expect(new Date(c.ts.at(-1)!).toISOString()).toBe('2024-01-22T04:00:00.000Z');
    expect(view.market_state.regime).toBe('ranging');
    const b = bands(c.close);
    const rsi = indicators.rsi(c.close, 14).at(-1)!;
    const atr = indicators.atr(c, 14).at(-1)!;
    const entry = 40786.41;
    expect(c.close.at(-1)).toBe(entry);
    expect(entry).toBeLessThan(b.lower);
    expect(rsi).toBeLessThan(30);
    const { list, rationale } = signals(view);
    expect(list).toHaveLength(1);
    const s = list[0]!;
    const stop = 40768 - 0.5 * atr; // the candle's low minus half an ATR
    expect(c.low.at(-1)).toBe(40768);
    expect(s.direction).toBe('long');
    expect(s.setup).toBe('bb_rsi_mean_reversion');
    expect(s.entry).toBe(entry);
    expect(s.stop).toBeCloseTo(stop, 9);
    expect(s.targets[0]).toBeCloseTo(b.mean, 9);
    expect(s.targets[1]).toBeCloseTo(b.upper, 9);
    expect(s.rr).toBeCloseTo((b.mean - entry) / (entry - stop), 9);
    const depth = (b.lower - entry) / b.sd;
    expect(s.confidence).toBeCloseTo(0.5 * Math.min(1, depth / 0.5) + 0.5 * Math.min(1, (30 - rsi) / 10), 12);
    expect(rationale).toContain(
      'close 40786.41 is 316.26 below the lower band of BB(20, 2) 41102.67 / 41597.21 / 42091.75 (sd 247.27), RSI(14) 23.33 < 30, regime ranging',
    );
    // the same bar with a stricter min_rr is skipped, with the numbers
    const strict = signals(view, { ...params, min_rr: 8 });
    expect(strict.list).toEqual([]);
    expect(strict.rationale).toContain('reward:risk to the middle band is 7.06');
    expect(strict.rationale).toContain('below min_rr 8');
  });

  it('does not fire on 2024-01-14 23:00: below the band with RSI 23.63, but the regime is trending', () => {
    const view = realView(335);
    const r = signals(view);
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'RSI(14) 23.63, but the regime is trending and mean reversion needs ranging (any_regime false)',
    );
    expect(signals(view, { ...params, any_regime: true }).list).toHaveLength(1);
  });

  it('does not fire on 2024-01-14 20:00: below the band but RSI 36.35 is not oversold', () => {
    const r = signals(realView(332));
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('close 42507.92 is 35.39 below the lower band');
    expect(r.rationale).toContain('RSI(14) 36.35 is not below oversold 30');
  });

  it('2024-01-26 11:00 (close over the upper band, RSI 76.87) is a short only with allow_short', () => {
    const view = realView(611);
    const off = signals(view);
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain('a short setup, but short signals are disabled (allow_short false)');
    const on = signals(view, { ...params, allow_short: true });
    expect(on.list).toHaveLength(1);
    const s = on.list[0]!;
    const b = bands(view.candles.close);
    const atr = indicators.atr(view.candles, 14).at(-1)!;
    expect(s.direction).toBe('short');
    expect(s.stop).toBeCloseTo(view.candles.high.at(-1)! + 0.5 * atr, 9);
    expect(s.targets[0]).toBeCloseTo(b.mean, 9);
    expect(s.targets[1]).toBeCloseTo(b.lower, 9);
    expect(s.rr).toBeCloseTo((s.entry - b.mean) / (s.stop - s.entry), 9);
  });
});

describe('mean_reversion_v1 on hand-made candles', () => {
  // 19 closes of 100, then 80. By hand: mean = (1900 + 80) / 20 = 99; squared deviations
  // 19 x 1^2 + 19^2 = 380; population variance 380 / 20 = 19 (the sample variance would be 20);
  // sd = sqrt(19) = 4.3589; lower = 99 - 2 sqrt(19) = 90.2822; upper = 107.7178.
  // RSI(14): no gains, one loss -> 0. Last candle low = 80 - 0.5 = 79.5.
  const closes = [...new Array(19).fill(100), 80];
  const candles = syntheticCandles(closes, { range: 0.5 });

  it('computes the bands by hand and signals with a pct stop: stop 79.1025, targets 99 and 99 + 2 sqrt(19)', () => {
    const r = signals({ candles, market_state: rangingState }, { ...params, stop_mode: 'pct', stop_pct: 0.5 });
    expect(r.list).toHaveLength(1);
    const s = r.list[0]!;
    expect(s.entry).toBe(80);
    expect(s.stop).toBeCloseTo(79.1025, 12);
    expect(s.targets[0]).toBeCloseTo(99, 12);
    expect(s.targets[1]).toBeCloseTo(99 + 2 * Math.sqrt(19), 12);
    expect(s.rr).toBeCloseTo(19 / 0.8975, 9);
    expect(s.confidence).toBe(1);
    expect(r.rationale).toContain('BB(20, 2) 90.28 / 99.00 / 107.72 (sd 4.36), RSI(14) 0.00 < 30');
    expect(r.rationale).toContain('stop 79.10 = low 79.50 - 0.5%');
  });

  it("an ATR stop uses the candles' own ATR(14)", () => {
    const atr = indicators.atr(candles, 14).at(-1)!;
    const s = signals({ candles, market_state: rangingState }).list[0]!;
    expect(s.stop).toBeCloseTo(79.5 - 0.5 * atr, 12);
  });

  it('skips when rr to the middle band is below min_rr', () => {
    const r = signals({ candles, market_state: rangingState }, { ...params, stop_mode: 'pct', min_rr: 25 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('reward:risk to the middle band is 21.17');
  });

  it('a close inside the band is no signal, whatever the RSI', () => {
    // alternating 102 / 98 ending on 98: mean 100, every deviation 2 -> population sd 2 (sample sd 2.05), bands 96 / 100 / 104
    const alt = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 102 : 98));
    const r = signals(
      { candles: syntheticCandles(alt, { range: 0.5 }), market_state: rangingState },
      { ...params, oversold: 99, overbought: 99.5 },
    );
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'No signal: close 98.00 is inside BB(20, 2) 96.00 / 100.00 / 104.00 (sd 2.00), RSI(14)',
    );
  });
});

describe('mean_reversion_v1 edge cases', () => {
  it('too little history: needs max(bb_period, rsi_period + 1, atr_period + 1) candles', () => {
    const r = signals({ candles: sampleCandles({ to: 19 }), market_state: rangingState });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('not enough data: need 20 candles, have 19');
    const r2 = signals(
      { candles: sampleCandles({ to: 25 }), market_state: rangingState },
      { ...params, rsi_period: 30 },
    );
    expect(r2.rationale).toContain('not enough data: need 31 candles, have 25');
  });

  it('flat market: zero band width is no signal, no NaN/Infinity, schema-valid', () => {
    const candles = syntheticCandles(new Array(60).fill(100));
    const p = { ...params, allow_short: true };
    const out = run({ candles, market_state: rangingState }, p, sdk, preparedOver(prepare, candles, p));
    expect(out.outputs.signals).toEqual([]);
    expect(out.rationale).toBe(
      'No signal: close 100.00 is inside BB(20, 2) 100.00 / 100.00 / 100.00 (sd 0.00), RSI(14) 100.00.',
    );
    expect(contextKeys.signals.schema.array().safeParse(out.outputs.signals).success).toBe(true);
  });

  it('is deterministic and does not mutate its input', () => {
    const view = realView(508);
    const before = JSON.stringify(view);
    const prepared = () => preparedOver(prepare, view.candles, params);
    expect(run(view, params, sdk, prepared())).toEqual(run(view, params, sdk, prepared()));
    expect(JSON.stringify(view)).toBe(before);
  });

  it('params: defaults and strictness', () => {
    expect(params).toEqual({
      bb_period: 20,
      bb_std: 2,
      rsi_period: 14,
      oversold: 30,
      overbought: 70,
      any_regime: false,
      stop_mode: 'atr',
      stop_atr_mult: 0.5,
      atr_period: 14,
      stop_pct: 0.5,
      min_rr: 1,
      allow_short: false,
    });
    expect(manifest.params.safeParse({ oversold: 80 }).success).toBe(false);
    expect(manifest.params.safeParse({ bb: 20 }).success).toBe(false);
  });
});
