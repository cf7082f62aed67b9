import { describe, expect, it } from 'vitest';
import { manifest, prepare, run } from '../../modules/agents/breakout_retest_v1.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { contextKeys, type ContextValue } from '../../sdk/index.ts';
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
  ema_slope_pct: 0,
};
const vol2: ContextValue<'volatility'> = { atr: 2, atr_pct: 2, band: 'high' };
/** 30 flat candles (high 100.5, low 99.5) followed by `tail` closes; synthetic OHLC with half-range 0.5. */
const series = (tail: number[]) => syntheticCandles([...new Array(30).fill(100), ...tail], { range: 0.5 });

describe('breakout_retest_v1 on real BTC/USDT 1h candles', () => {
  it('fires long on 2024-01-27 21:00 UTC: breakout of 41986.06 one candle earlier, retest low 42022.92, close 42150.59', () => {
    const view = realView(645);
    const c = view.candles;
    const last = c.close.length - 1;
    expect(new Date(c.ts[last]!).toISOString()).toBe('2024-01-27T21:00:00.000Z');
    expect(view.market_state.trend).toBe('up');
    // breakout candle: the one before the last, closing over the 20 highs before it (computed independently)
    let hi = -Infinity;
    for (let i = last - 21; i < last - 1; i++) hi = Math.max(hi, c.high[i]!);
    expect(hi).toBe(41986.06);
    expect(c.close[last - 1]).toBe(42059.93);
    expect(c.low[last]).toBe(42022.92);
    const atr = view.volatility.atr;
    expect(c.low[last]! - hi).toBeLessThanOrEqual(0.25 * atr); // the retest is within tolerance
    expect(c.close[last]).toBeGreaterThan(c.open[last]!);

    const { list, rationale } = signals(view);
    expect(list).toHaveLength(1);
    const s = list[0]!;
    const entry = 42150.59;
    const stop = 42022.92 - 0.25 * atr;
    const R = entry - stop;
    expect(s.direction).toBe('long');
    expect(s.setup).toBe('breakout_retest_20');
    expect(s.entry).toBe(entry);
    expect(s.stop).toBeCloseTo(stop, 9);
    expect(s.targets[0]).toBeCloseTo(entry + 2 * R, 9);
    expect(s.targets[1]).toBeCloseTo(entry + 3 * R, 9);
    expect(s.rr).toBe(2);
    expect((s.targets[0]! - s.entry) / (s.entry - s.stop)).toBeCloseTo(2, 9);
    const touch = (42022.92 - 41986.06) / (0.25 * atr);
    expect(s.confidence).toBeCloseTo(0.5 * Math.min(1, view.market_state.adx / 50) + 0.5 * (1 - touch), 12);
    expect(rationale).toContain(
      'close 42059.93 1 candle ago broke above the high 41986.06, the retest low 42022.92 retested it (0.22 ATR, tolerance 0.25)',
    );
    expect(rationale).toContain('stop 41980.96 = retest low - 0.25 x ATR 167.82');
  });

  it('does not fire one candle earlier (2024-01-27 20:00): the breakout candle itself is not a retest', () => {
    const r = signals(realView(644));
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'long: no close above the high of the prior 20-candle channel in the last 10 candles',
    );
  });

  it('a real breakdown retest on 2024-01-18 20:00 is a short only with allow_short', () => {
    const view = realView(428);
    expect(view.market_state.trend).toBe('down');
    const off = signals(view);
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain(
      'short: close 41022.32 1 candle ago broke below the low 41370.00 and was retested, but short signals are disabled',
    );
    const on = signals(view, { ...params, allow_short: true });
    expect(on.list).toHaveLength(1);
    const s = on.list[0]!;
    const c = view.candles;
    const atr = view.volatility.atr;
    const retestHigh = c.high.at(-1)!;
    expect(s.direction).toBe('short');
    expect(s.entry).toBe(c.close.at(-1));
    expect(s.stop).toBeCloseTo(retestHigh + 0.25 * atr, 9);
    const R = s.stop - s.entry;
    expect(R).toBeGreaterThan(0);
    expect(s.targets).toEqual([s.entry - 2 * R, s.entry - 3 * R]);
  });
});

describe('breakout_retest_v1 pattern logic on hand-made candles', () => {
  it('breakout to 103, pullback to the broken level 100.5, close back up: exact stop, targets and confidence', () => {
    // breakout close 103 over the 20-candle high 100.5; next lows 101.5, 100.5 (touch, 0 ATR); last candle 101 -> 102
    const r = signals({ candles: series([103, 102, 101, 102]), market_state: upState, volatility: vol2 });
    // stop = retest low 100.5 - 0.25 x 2 = 100; R = 2; targets 106, 108; confidence 0.5 x 30/50 + 0.5 x (1 - 0) = 0.8
    expect(r.list).toEqual([
      {
        direction: 'long',
        setup: 'breakout_retest_20',
        entry: 102,
        stop: 100,
        targets: [106, 108],
        rr: 2,
        confidence: 0.8,
      },
    ]);
  });

  it('no retest: the pullback low stays 1 ATR above the level', () => {
    const r = signals({ candles: series([103, 103, 104]), market_state: upState, volatility: vol2 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'the retest low 102.50 stayed 2.00 (1.00 ATR) away from it, more than the 0.25 ATR tolerance (no retest yet)',
    );
    // a wider tolerance accepts it
    expect(
      signals(
        { candles: series([103, 103, 104]), market_state: upState, volatility: vol2 },
        { ...params, retest_tolerance_atr: 1 },
      ).list,
    ).toHaveLength(1);
  });

  it('failed breakout: the pullback falls back through the level', () => {
    const r = signals({ candles: series([103, 99, 100]), market_state: upState, volatility: vol2 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('the retest low 98.50 went 2.00 (1.00 ATR) back through it');
  });

  it('no confirmation: the last candle closes down', () => {
    const r = signals({ candles: series([103, 102, 101]), market_state: upState, volatility: vol2 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'the last candle (open 102.00, close 101.00) does not close above its open and above the level',
    );
  });

  it('a breakout older than max_bars_since_breakout is ignored', () => {
    const tail = [103, 102, 102, 102, 102, 102, 102, 102, 102, 102, 101, 102];
    expect(
      signals(
        { candles: series(tail), market_state: upState, volatility: vol2 },
        { ...params, max_bars_since_breakout: 12 },
      ).list,
    ).toHaveLength(1);
    const r = signals({ candles: series(tail), market_state: upState, volatility: vol2 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'long: no close above the high of the prior 20-candle channel in the last 10 candles',
    );
  });

  it('with_trend_only drops a long when the trend is not up', () => {
    const r = signals({
      candles: series([103, 102, 101, 102]),
      market_state: { ...upState, trend: 'flat' },
      volatility: vol2,
    });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('the trend is flat and with_trend_only needs up for a long');
    expect(
      signals(
        { candles: series([103, 102, 101, 102]), market_state: { ...upState, trend: 'flat' }, volatility: vol2 },
        { ...params, with_trend_only: false },
      ).list,
    ).toHaveLength(1);
  });

  it('short mirror: breakdown to 97, rally to the level 99.5, close back down (allow_short false vs true)', () => {
    const view = {
      candles: series([97, 98, 99, 98]),
      market_state: { ...upState, trend: 'down' as const },
      volatility: vol2,
    };
    const off = signals(view);
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain('short signals are disabled (allow_short false)');
    const on = signals(view, { ...params, allow_short: true });
    // stop = retest high 99.5 + 0.5 = 100; R = 2; targets 94, 92
    expect(on.list).toEqual([
      {
        direction: 'short',
        setup: 'breakout_retest_20',
        entry: 98,
        stop: 100,
        targets: [94, 92],
        rr: 2,
        confidence: 0.8,
      },
    ]);
  });
});

describe('breakout_retest_v1 edge cases', () => {
  it('too little history: needs lookback + window + 1 candles', () => {
    const r = signals({
      candles: sampleCandles({ to: 30 }),
      market_state: upState,
      volatility: { atr: 100, atr_pct: 0.2, band: 'low' },
    });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('not enough data: need 31 candles, have 30');
    expect(
      signals({
        candles: sampleCandles({ to: 31 }),
        market_state: upState,
        volatility: { atr: 100, atr_pct: 0.2, band: 'low' },
      }).rationale,
    ).not.toContain('not enough data');
  });

  it('flat market: no signal, finite numbers in the rationale, schema-valid outputs', () => {
    const candles = syntheticCandles(new Array(80).fill(100));
    for (const atr of [0, 1]) {
      const out = run(
        { candles, market_state: { ...upState, trend: 'flat' }, volatility: { atr, atr_pct: atr, band: 'low' } },
        { ...params, allow_short: true, with_trend_only: false },
        sdk,
        preparedOver(prepare, candles, params),
      );
      expect(out.outputs.signals).toEqual([]);
      expect(out.rationale).not.toMatch(/NaN|Infinity/);
      expect(contextKeys.signals.schema.array().safeParse(out.outputs.signals).success).toBe(true);
    }
  });

  it('is deterministic and does not mutate its input', () => {
    const view = realView(645);
    const before = JSON.stringify(view);
    const a = run(view, params, sdk, preparedOver(prepare, view.candles, params));
    const b = run(view, params, sdk, preparedOver(prepare, view.candles, params));
    expect(b).toEqual(a);
    expect(JSON.stringify(view)).toBe(before);
  });

  it('params: defaults and strictness', () => {
    expect(params).toEqual({
      lookback: 20,
      max_bars_since_breakout: 10,
      retest_tolerance_atr: 0.25,
      stop_atr_mult: 0.25,
      targets_r: [2, 3],
      allow_short: false,
      with_trend_only: true,
      full_adx: 50,
    });
    expect(manifest.params.safeParse({ lookback: 2 }).success).toBe(false);
    expect(manifest.params.safeParse({ tolerance: 1 }).success).toBe(false);
    expect(manifest.module_id).toBe('breakout_retest_v1');
    expect(manifest.output_keys).toEqual(['signals']);
  });
});
