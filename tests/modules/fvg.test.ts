import { describe, expect, it } from 'vitest';
import { latestOpenGap, manifest, run } from '../../modules/agents/fvg_v1.ts';
import { contextKeys, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, syntheticCandles, type Candles } from '../helpers/sample-candles.ts';
import { sdk, signalRunner, trendContext } from '../helpers/module-views.ts';

const params = manifest.params.parse({});

/** Candles up to and including `last` (300 of them), with the real context module's volatility. */
function realView(last: number) {
  const candles = sampleCandles({ from: last - 299, to: last + 1 });
  const ctx = trendContext(candles);
  return { candles, volatility: ctx.volatility! };
}

const signals = signalRunner(run, params);

type Bar = [open: number, high: number, low: number, close: number];
function build(bars: Bar[]): Candles {
  const t0 = Date.UTC(2024, 0, 1);
  return {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    ts: bars.map((_, i) => t0 + i * 3_600_000),
    open: bars.map((b) => b[0]),
    high: bars.map((b) => b[1]),
    low: bars.map((b) => b[2]),
    close: bars.map((b) => b[3]),
    volume: bars.map(() => 100),
  };
}
/** Price mirror around 100: a bullish pattern becomes the same bearish one. */
const mirror = (bars: Bar[]): Bar[] => bars.map(([o, h, l, c]) => [200 - o, 200 - l, 200 - h, 200 - c]);

const flat: Bar[] = new Array(30).fill([100, 101, 99, 100]);
// candle i-2 high 101, impulse, candle i low 103: a bullish gap 101..103 (size 2, mid 102)
const gapBars: Bar[] = [
  [100, 101, 99, 100.5],
  [100.5, 106, 100.5, 105.5],
  [105.5, 107, 103, 106.5],
];
const returnBar: Bar = [106.5, 106.8, 102.5, 102.5]; // trades to 102.5 inside the gap, closes above the mid
const vol5: ContextValue<'volatility'> = { atr: 5, atr_pct: 5, band: 'high' };

describe('fvg_v1 on hand-made candles', () => {
  it('a 2-point gap (0.4 ATR) and a return to 102.5: stop 99.75, targets 108 and 110.75, confidence 0.65', () => {
    const r = signals({ candles: build([...flat, ...gapBars, returnBar]), volatility: vol5 });
    expect(r.list).toHaveLength(1);
    const s = r.list[0]!;
    // stop = bottom 101 - 0.25 x 5; R = 102.5 - 99.75 = 2.75; targets 102.5 + 2R, + 3R
    expect(s).toMatchObject({
      direction: 'long',
      setup: 'fvg_bullish_return',
      entry: 102.5,
      stop: 99.75,
      targets: [108, 110.75],
      rr: 2,
    });
    // 0.5 x min(1, 2 / (2 x 1.25)) + 0.5 x min(1, (102.5 - 102) / 1)
    expect(s.confidence).toBeCloseTo(0.4 + 0.25, 12);
    expect(r.rationale).toContain('bullish gap 101.00-103.00 (size 2.00 = 0.40 ATR, mid 102.00) formed 1 candle ago');
  });

  it('minimum size is inclusive: 0.4 ATR (= 2.00) keeps the gap, 0.41 ATR (2.05) drops it', () => {
    const candles = build([...flat, ...gapBars, returnBar]);
    expect(signals({ candles, volatility: vol5 }, { ...params, min_gap_atr: 0.4 }).list).toHaveLength(1);
    const r = signals({ candles, volatility: vol5 }, { ...params, min_gap_atr: 0.41 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('no unfilled bullish gap of at least 0.41 ATR (2.05) in the last 30 candles');
  });

  it('no gap when low[i] only equals high[i-2] (imbalance must be strict)', () => {
    const touching: Bar[] = [gapBars[0]!, gapBars[1]!, [105.5, 107, 101, 106.5]];
    const r = signals(
      { candles: build([...flat, ...touching, returnBar]), volatility: vol5 },
      { ...params, min_gap_atr: 0 },
    );
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('no unfilled bullish gap');
  });

  it('a gap filled by a candle before the last one no longer counts', () => {
    const filler: Bar = [106.5, 107, 100.9, 106];
    const r = signals({ candles: build([...flat, ...gapBars, filler, returnBar]), volatility: vol5 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('no unfilled bullish gap of at least 0.25 ATR (1.25) in the last 30 candles');
    // a low exactly at the bottom fills it too; one a hair above leaves it open
    expect(
      signals({ candles: build([...flat, ...gapBars, [106.5, 107, 101, 106], returnBar]), volatility: vol5 }).list,
    ).toEqual([]);
    expect(
      signals({ candles: build([...flat, ...gapBars, [106.5, 107, 101.01, 106], returnBar]), volatility: vol5 }).list,
    ).toHaveLength(1);
  });

  it('the last candle must enter the gap, not fill it, and close above the midpoint', () => {
    const notReached = signals({ candles: build([...flat, ...gapBars, [106.5, 107, 103.5, 106]]), volatility: vol5 });
    expect(notReached.list).toEqual([]);
    expect(notReached.rationale).toContain("the last candle's low 103.50 did not reach it");
    const filled = signals({ candles: build([...flat, ...gapBars, [106.5, 106.8, 100.5, 102.5]]), volatility: vol5 });
    expect(filled.list).toEqual([]);
    expect(filled.rationale).toContain("the last candle's low 100.50 went through it (gap filled)");
    const weak = signals({ candles: build([...flat, ...gapBars, [106.5, 106.8, 101.5, 101.8]]), volatility: vol5 });
    expect(weak.list).toEqual([]);
    expect(weak.rationale).toContain('price returned into it, but the last close 101.80 is not above the midpoint');
  });

  it('takes the most recent unfilled gap', () => {
    // a second, higher gap 107..110 forms after the first one
    const second: Bar[] = [
      [106.5, 107, 106, 106.8],
      [106.8, 111, 106.8, 110.5],
      [110.5, 112, 110, 111.5],
    ];
    const candles = build([...flat, ...gapBars, ...second, [111.5, 111.6, 109, 109.5]]);
    expect(latestOpenGap(candles, 'long', 30, 1.25)).toEqual({ at: 35, bottom: 107, top: 110 });
    const s = signals({ candles, volatility: vol5 }).list[0]!;
    expect(s).toMatchObject({ entry: 109.5, stop: 107 - 1.25 });
  });

  it('bearish mirror is a short only with allow_short: stop 100.25, targets 92 and 89.25', () => {
    const candles = build(mirror([...flat, ...gapBars, returnBar]));
    const off = signals({ candles, volatility: vol5 });
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain('bearish gap 97.00-99.00');
    expect(off.rationale).toContain('short signals are disabled (allow_short false)');
    const on = signals({ candles, volatility: vol5 }, { ...params, allow_short: true });
    expect(on.list).toHaveLength(1);
    expect(on.list[0]).toMatchObject({
      direction: 'short',
      setup: 'fvg_bearish_return',
      entry: 97.5,
      stop: 100.25,
      targets: [92, 89.25],
      rr: 2,
    });
  });
});

describe('fvg_v1 on real BTC/USDT 1h candles', () => {
  it('fires long on 2024-01-14 08:00 UTC: gap 42815.17-42891.12 formed the candle before, low 42888.00, close 42996.25', () => {
    const view = realView(320);
    const c = view.candles;
    const n = c.close.length;
    expect(new Date(c.ts[n - 1]!).toISOString()).toBe('2024-01-14T08:00:00.000Z');
    // the gap computed independently: low of the candle before the last over the high two candles earlier
    const bottom = c.high[n - 4]!;
    const top = c.low[n - 2]!;
    expect([bottom, top]).toEqual([42815.17, 42891.12]);
    const atr = view.volatility.atr;
    expect(top - bottom).toBeGreaterThanOrEqual(0.25 * atr);
    expect(c.low[n - 1]).toBe(42888);
    const { list } = signals(view);
    expect(list).toHaveLength(1);
    const s = list[0]!;
    const entry = 42996.25;
    const stop = bottom - 0.25 * atr;
    const R = entry - stop;
    expect(s.direction).toBe('long');
    expect(s.entry).toBe(entry);
    expect(s.stop).toBeCloseTo(stop, 9);
    expect(s.targets[0]).toBeCloseTo(entry + 2 * R, 9);
    expect(s.targets[1]).toBeCloseTo(entry + 3 * R, 9);
    expect(s.rr).toBe(2);
    const mid = (top + bottom) / 2;
    expect(s.confidence).toBeCloseTo(
      0.5 * Math.min(1, (top - bottom) / (0.5 * atr)) + 0.5 * Math.min(1, (entry - mid) / ((top - bottom) / 2)),
      12,
    );
  });

  it("does not fire on 2024-01-14 07:00: the gap's third candle is the last one, nothing has returned yet", () => {
    const r = signals(realView(319));
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('no unfilled bullish gap of at least 0.25 ATR (65.32) in the last 30 candles');
  });

  it('2024-01-13 14:00 returns into a bearish gap: a short only with allow_short', () => {
    const view = realView(302);
    const off = signals(view);
    expect(off.list).toEqual([]);
    expect(off.rationale).toContain(
      'bearish gap 42923.21-43063.72 (size 140.51 = 0.35 ATR, mid 42993.46) formed 4 candles ago: price returned and closed below the midpoint, but short signals are disabled',
    );
    const on = signals(view, { ...params, allow_short: true });
    expect(on.list).toHaveLength(1);
    const s = on.list[0]!;
    expect(s.direction).toBe('short');
    expect(s.stop).toBeCloseTo(43063.72 + 0.25 * view.volatility.atr, 9);
  });
});

describe('fvg_v1 edge cases', () => {
  it('too little history: needs lookback + 3 candles', () => {
    const r = signals({ candles: sampleCandles({ to: 32 }), volatility: vol5 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('not enough data: need 33 candles, have 32');
    expect(signals({ candles: sampleCandles({ to: 33 }), volatility: vol5 }).rationale).not.toContain(
      'not enough data',
    );
  });

  it('flat market: no gaps, no NaN/Infinity, schema-valid', () => {
    const candles = syntheticCandles(new Array(60).fill(100));
    for (const atr of [0, 1]) {
      const out = run(
        { candles, volatility: { atr, atr_pct: atr, band: 'low' } },
        { ...params, allow_short: true, min_gap_atr: 0 },
        sdk,
      );
      expect(out.outputs.signals).toEqual([]);
      expect(out.rationale).not.toMatch(/NaN|Infinity/);
      expect(contextKeys.signals.schema.array().safeParse(out.outputs.signals).success).toBe(true);
    }
  });

  it('is deterministic and does not mutate its input', () => {
    const view = realView(320);
    const before = JSON.stringify(view);
    expect(run(view, params, sdk)).toEqual(run(view, params, sdk));
    expect(JSON.stringify(view)).toBe(before);
  });

  it('params: defaults and strictness', () => {
    expect(params).toEqual({
      lookback: 30,
      min_gap_atr: 0.25,
      stop_atr_mult: 0.25,
      targets_r: [2, 3],
      allow_short: false,
    });
    expect(manifest.params.safeParse({ lookback: 0 }).success).toBe(false);
    expect(manifest.params.safeParse({ min_gap: 1 }).success).toBe(false);
  });
});
