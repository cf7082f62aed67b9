import { describe, expect, it } from 'vitest';
import { manifest, prepare, run } from '../../modules/agents/trend_pullback_v1.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, syntheticCandles } from '../helpers/sample-candles.ts';
import { realView, sdk, signalRunner } from '../helpers/module-views.ts';

const params = manifest.params.parse({});
const signals = signalRunner(run, params, prepare);

const upState: ContextValue<'market_state'> = {
  trend: 'up',
  regime: 'trending',
  adx: 30,
  ema_fast: 100,
  ema_slow: 100,
  ema_slope_pct: 0.5,
};
const vol1: ContextValue<'volatility'> = { atr: 1, atr_pct: 1, band: 'normal' };

describe('trend_pullback_v1 on real BTC/USDT 1h candles', () => {
  it('fires long on 2024-01-16 19:00 UTC: low 42949.00 tags EMA(20) 42937.66, close 43166.11 up', () => {
    const view = realView(379);
    const c = view.candles;
    expect(new Date(c.ts.at(-1)!).toISOString()).toBe('2024-01-16T19:00:00.000Z');
    expect(view.market_state.trend).toBe('up');
    const ema = indicators.ema(c.close, 20);
    const rsi = indicators.rsi(c.close, 14);
    const atr = view.volatility.atr;
    const n = c.close.length;
    // independent checks of the rule on the last 3 candles
    expect(Math.abs(c.low[n - 1]! - ema[n - 1]!)).toBeLessThanOrEqual(0.2 * atr);
    expect(Math.min(rsi[n - 3]!, rsi[n - 2]!, rsi[n - 1]!)).toBeGreaterThanOrEqual(40);
    expect(c.close[n - 1]).toBeGreaterThan(c.open[n - 1]!);
    const pullbackLow = Math.min(c.low[n - 3]!, c.low[n - 2]!, c.low[n - 1]!);
    expect(pullbackLow).toBe(42834.29);

    const { list, rationale } = signals(view);
    expect(list).toHaveLength(1);
    const s = list[0]!;
    const entry = 43166.11;
    const stop = pullbackLow - 0.25 * atr;
    const R = entry - stop;
    expect(s.direction).toBe('long');
    expect(s.setup).toBe('ema20_pullback');
    expect(s.entry).toBe(entry);
    expect(s.stop).toBeCloseTo(stop, 9);
    expect(s.targets[0]).toBeCloseTo(entry + 2 * R, 9);
    expect(s.targets[1]).toBeCloseTo(entry + 3 * R, 9);
    expect(s.rr).toBe(2);
    const touch = Math.abs(c.low[n - 1]! - ema[n - 1]!) / (0.2 * atr);
    expect(s.confidence).toBeCloseTo(0.5 * Math.min(1, view.market_state.adx / 50) + 0.5 * (1 - touch), 12);
    expect(rationale).toContain('closest low 42949.00 was 11.34 (0.03 ATR) from EMA(20) 42937.66 0 candles ago');
    expect(rationale).toContain('RSI(14) low 53.47 >= 40');
  });

  it('a higher RSI floor blocks the same bar, naming the RSI reached', () => {
    const r = signals(realView(379), { ...params, rsi_floor: 60 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'but RSI(14) reached 53.47 in the last 3 candles, below the floor 60 (momentum broke)',
    );
  });

  it('does not fire one candle earlier (2024-01-16 18:00): the low stayed 0.24 ATR from the EMA', () => {
    const r = signals(realView(378));
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe(
      'No signal: trend up, closest low 42834.29 was 79.32 (0.24 ATR) from EMA(20) 42913.61 0 candles ago, more than the 0.2 ATR touch tolerance in the last 3 candles (no pullback to the EMA).',
    );
  });

  it('a real downtrend rally to the EMA on 2024-01-13 16:00 is a short only with allow_short', () => {
    const view = realView(304);
    expect(view.market_state.trend).toBe('down');
    const off = signals(view);
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain('a short pullback setup, but short signals are disabled (allow_short false)');
    const on = signals(view, { ...params, allow_short: true });
    expect(on.list).toHaveLength(1);
    const s = on.list[0]!;
    const c = view.candles;
    const hi = Math.max(...c.high.slice(-3));
    expect(s.direction).toBe('short');
    expect(s.stop).toBeCloseTo(hi + 0.25 * view.volatility.atr, 9);
    const R = s.stop - s.entry;
    expect(s.targets).toEqual([s.entry - 2 * R, s.entry - 3 * R]);
  });
});

describe('trend_pullback_v1 on hand-made candles', () => {
  // 40 closes of 100 then 101 (no wicks): EMA(20) = 100 + (2/21) x (101 - 100) by hand; the last
  // candle opens 100, lows 100; RSI(14) = 100 (gains only).
  const candles = syntheticCandles([...new Array(40).fill(100), 101]);
  const emaLast = 100 + 2 / 21;

  it('signals with the hand-computed EMA distance: stop 99.75, targets 103.5 and 104.75', () => {
    expect(indicators.ema(candles.close, 20).at(-1)).toBeCloseTo(emaLast, 12);
    // window of 1: only the last candle, whose low 100 is 2/21 = 0.0952 ATR under its EMA
    const one = { ...params, pullback_bars: 1 };
    const r = signals({ candles, market_state: upState, volatility: vol1 }, one);
    expect(r.list).toHaveLength(1);
    const s = r.list[0]!;
    expect(s).toMatchObject({
      direction: 'long',
      setup: 'ema20_pullback',
      entry: 101,
      stop: 99.75,
      targets: [103.5, 104.75],
      rr: 2,
    });
    // confidence = 0.5 x 30/50 + 0.5 x (1 - (2/21) / 0.2)
    expect(s.confidence).toBeCloseTo(0.3 + 0.5 * (1 - 2 / 21 / 0.2), 12);
    expect(r.rationale).toContain('closest low 100.00 was 0.09524 (0.10 ATR) from EMA(20) 100.10 0 candles ago');
    // a tighter tolerance than the 0.095 distance rejects it
    expect(
      signals({ candles, market_state: upState, volatility: vol1 }, { ...one, touch_tolerance_atr: 0.09 }).list,
    ).toEqual([]);
    // default window of 3: the two flat candles before sit exactly on their EMA (distance 0) -> confidence 0.3 + 0.5
    expect(signals({ candles, market_state: upState, volatility: vol1 }).list[0]).toMatchObject({
      stop: 99.75,
      confidence: 0.8,
    });
  });

  it('a rally that never comes back to the EMA is no pullback', () => {
    const ramp = Array.from({ length: 41 }, (_, i) => 100 + i);
    const r = signals({ candles: syntheticCandles(ramp), market_state: upState, volatility: vol1 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'more than the 0.2 ATR touch tolerance in the last 3 candles (no pullback to the EMA)',
    );
  });

  it('the last candle must close up above the EMA', () => {
    const r = signals({
      candles: syntheticCandles([...new Array(40).fill(100), 101, 100.5]),
      market_state: upState,
      volatility: vol1,
    });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('but the last candle (open 101.00, close 100.50');
    expect(r.rationale).toContain('does not close up above the EMA');
  });

  it('needs a trend: flat gives no signal', () => {
    const r = signals({ candles, market_state: { ...upState, trend: 'flat' }, volatility: vol1 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe(
      'No signal: the trend is flat; a pullback entry needs an up (or, for shorts, down) trend.',
    );
  });

  it('short mirror: downtrend, high tags the EMA, close down (allow_short false vs true)', () => {
    // window of 1: technicalindicators gives RSI 100 on the flat candles before, which would break the 60 ceiling
    const one = { ...params, pullback_bars: 1 };
    const view = {
      candles: syntheticCandles([...new Array(40).fill(100), 99]),
      market_state: { ...upState, trend: 'down' as const },
      volatility: vol1,
    };
    const off = signals(view, one);
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain('short signals are disabled');
    const on = signals(view, { ...one, allow_short: true });
    expect(on.list).toHaveLength(1);
    expect(on.list[0]).toMatchObject({ direction: 'short', entry: 99, stop: 100.25, targets: [96.5, 95.25], rr: 2 });
  });
});

describe('trend_pullback_v1 edge cases', () => {
  it('too little history: needs max(EMA, RSI + 1) + window - 1 candles', () => {
    const r = signals({ candles: sampleCandles({ to: 21 }), market_state: upState, volatility: vol1 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('not enough data: need 22 candles, have 21');
    expect(
      signals({ candles: sampleCandles({ to: 22 }), market_state: upState, volatility: vol1 }).rationale,
    ).not.toContain('not enough data');
  });

  it('flat market: no signal, no NaN/Infinity, schema-valid', () => {
    const candles = syntheticCandles(new Array(60).fill(100));
    for (const atr of [0, 1]) {
      const p = { ...params, allow_short: true };
      const out = run(
        { candles, market_state: upState, volatility: { atr, atr_pct: atr, band: 'low' } },
        p,
        sdk,
        preparedOver(prepare, candles, p),
      );
      expect(out.outputs.signals).toEqual([]);
      expect(out.rationale).not.toMatch(/NaN|Infinity/);
      expect(contextKeys.signals.schema.array().safeParse(out.outputs.signals).success).toBe(true);
    }
  });

  it('is deterministic and does not mutate its input', () => {
    const view = realView(379);
    const before = JSON.stringify(view);
    const prepared = () => preparedOver(prepare, view.candles, params);
    expect(run(view, params, sdk, prepared())).toEqual(run(view, params, sdk, prepared()));
    expect(JSON.stringify(view)).toBe(before);
  });

  it('params: defaults and strictness', () => {
    expect(params).toEqual({
      ema_period: 20,
      pullback_bars: 3,
      touch_tolerance_atr: 0.2,
      rsi_period: 14,
      rsi_floor: 40,
      stop_atr_mult: 0.25,
      targets_r: [2, 3],
      allow_short: false,
      full_adx: 50,
    });
    expect(manifest.params.safeParse({ pullback_bars: 0 }).success).toBe(false);
    expect(manifest.params.safeParse({ ema: 20 }).success).toBe(false);
  });
});
