import { describe, expect, it } from 'vitest';
import { manifest, prepare, run } from '../../modules/agents/breakout_v1.ts';
import type { ContextValue } from '../../sdk/index.ts';
import { sampleCandles, syntheticCandles, type Candles } from '../helpers/sample-candles.ts';
import { realView, signalRunner } from '../helpers/module-views.ts';

const params = manifest.params.parse({});
const signals = signalRunner(run, params, prepare);

const flatState: ContextValue<'market_state'> = {
  trend: 'up',
  regime: 'trending',
  adx: 30,
  ema_fast: 100,
  ema_slow: 100,
  ema_slope_pct: 0,
};

describe('breakout_v1 on real BTC/USDT 1h candles', () => {
  it('fires long on 2024-01-26 10:00 UTC (close 40692.64 over the 20-candle high 40411.39)', () => {
    const last = 610;
    const view = realView(last);
    expect(new Date(view.candles.ts.at(-1)!).toISOString()).toBe('2024-01-26T10:00:00.000Z');
    expect(view.market_state.trend).toBe('up');
    const { list, rationale } = signals(view);
    expect(list).toHaveLength(1);
    const s = list[0]!;
    // channel computed independently: highest high of the 20 candles before the last one
    const n = view.candles.close.length;
    let hi = -Infinity;
    for (let i = n - 21; i < n - 1; i++) hi = Math.max(hi, view.candles.high[i]!);
    expect(hi).toBe(40411.39);
    const entry = 40692.64;
    const atr = view.volatility.atr;
    const R = 1.5 * atr;
    expect(s.direction).toBe('long');
    expect(s.entry).toBe(entry);
    expect(s.stop).toBeCloseTo(entry - R, 9);
    expect(s.targets[0]).toBeCloseTo(entry + 2 * R, 9);
    expect(s.targets[1]).toBeCloseTo(entry + 3 * R, 9);
    expect(s.rr).toBe(2);
    expect((s.targets[0]! - s.entry) / (s.entry - s.stop)).toBeCloseTo(2, 9);
    const strength = (entry - hi) / atr;
    expect(s.confidence).toBeCloseTo(0.5 * Math.min(1, strength) + 0.5 * Math.min(1, view.market_state.adx / 50), 12);
    expect(s.setup).toBe('donchian_20_breakout');
    expect(s.source).toBeUndefined();
    expect(rationale).toContain('Close 40692.64 is 281.25 above the high 40411.39');
  });

  it('fires short on 2024-01-14 23:00 UTC with the stop above and targets below', () => {
    const view = realView(335);
    const { list } = signals(view, { ...params, allow_short: true });
    expect(list).toHaveLength(1);
    const s = list[0]!;
    const R = 1.5 * view.volatility.atr;
    expect(s.direction).toBe('short');
    expect(s.entry).toBe(41732.35);
    expect(s.stop).toBeCloseTo(41732.35 + R, 9);
    expect(s.targets).toEqual([s.entry - 2 * R, s.entry - 3 * R]);
    // allow_short false silences it, and says so
    const off = signals(view, { ...params, allow_short: false });
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain('short signals are disabled');
  });

  it('with_trend_only drops a breakout against the trend; turning it off keeps it', () => {
    const view = realView(610);
    const against = { ...view, market_state: { ...view.market_state, trend: 'down' as const } };
    const r = signals(against);
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('the trend is down and with_trend_only needs up for a long');
    expect(signals(against, { ...params, with_trend_only: false }).list).toHaveLength(1);
  });

  it('no breakout: empty list, rationale gives the distance to each channel side', () => {
    const closes = Array.from({ length: 40 }, (_, i) => 100 + (i % 2 === 0 ? 1 : -1));
    const candles = syntheticCandles(closes, { range: 0.5 });
    candles.close[39] = 100;
    const r = signals({ candles, market_state: flatState, volatility: { atr: 2, atr_pct: 2, band: 'high' } });
    expect(r.list).toEqual([]);
    // channel 98.5..101.5, close 100 -> 1.50 below the high and 1.50 above the low (0.75 ATR each)
    expect(r.rationale).toBe(
      'No breakout: close 100.00 is inside the 20-candle channel 98.50-101.50, 1.50 (1.500%) below the high and 1.50 (1.500%) above the low (0.75 and 0.75 ATR).',
    );
  });
});

describe('breakout_v1 edge cases', () => {
  it('too little history: needs lookback + 1 candles, says so', () => {
    const r = signals({
      candles: sampleCandles({ to: 20 }),
      market_state: flatState,
      volatility: { atr: 100, atr_pct: 0.2, band: 'low' },
    });
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe(
      'No signal: not enough data, need 21 candles (channel of 20 plus the breakout candle), have 20.',
    );
  });

  it('a flat market (constant prices) never breaks out: close equals the channel, not beyond it', () => {
    const candles: Candles = syntheticCandles(new Array(60).fill(100));
    const r = signals(
      { candles, market_state: { ...flatState, trend: 'flat' }, volatility: { atr: 0, atr_pct: 0, band: 'low' } },
      { ...params, with_trend_only: false },
    );
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('0.00 (0.000%) below the high and 0.00 (0.000%) above the low');
  });

  it('a gap up over the channel is a long breakout with exact R-multiple targets', () => {
    const closes = [...new Array(30).fill(100), 110];
    const candles = syntheticCandles(closes, { range: 0.5 });
    const volatility = { atr: 2, atr_pct: (2 / 110) * 100, band: 'high' as const };
    const r = signals({ candles, market_state: flatState, volatility });
    expect(r.list).toHaveLength(1);
    const s = r.list[0]!;
    expect(s).toEqual({
      direction: 'long',
      setup: 'donchian_20_breakout',
      entry: 110,
      stop: 107,
      targets: [116, 119],
      rr: 2,
      confidence: 0.8,
    });
    // confidence: breakout 9.5 ATR beyond 100.5 -> capped 1 -> 0.5; ADX 30/50 -> 0.3
  });

  it('a breakout with zero ATR cannot place a stop and gives no signal', () => {
    const candles = syntheticCandles([...new Array(30).fill(100), 110]);
    const r = signals({ candles, market_state: flatState, volatility: { atr: 0, atr_pct: 0, band: 'low' } });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('ATR is 0');
  });

  it('drops a short whose targets would fall to zero or below', () => {
    const candles = syntheticCandles([...new Array(30).fill(10), 5]);
    const r = signals(
      { candles, market_state: { ...flatState, trend: 'down' }, volatility: { atr: 2, atr_pct: 40, band: 'high' } },
      { ...params, allow_short: true },
    );
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('not be a positive price');
  });

  it('params: defaults and strictness', () => {
    expect(params).toEqual({
      lookback: 20,
      allow_short: false,
      with_trend_only: true,
      stop_atr_mult: 1.5,
      targets_r: [2, 3],
      full_strength_atr: 1,
      full_adx: 50,
    });
    expect(manifest.params.safeParse({ lookback: 2 }).success).toBe(false);
    expect(manifest.params.safeParse({ look_back: 20 }).success).toBe(false);
  });
});
