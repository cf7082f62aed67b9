import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/context/instrument_intelligence_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, type Candles } from '../helpers/sample-candles.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
const H = 3_600_000;

function instrument(category = 'major', symbol = 'BTC/USDT'): ContextValue<'instrument'> {
  const [base, quote] = symbol.split('/') as [string, string];
  return contextKeys.instrument.schema.parse({
    exchange: 'binance',
    symbol,
    base,
    quote,
    category,
    price_precision: 2,
    amount_precision: 5,
    tick_size: 0.01,
    min_qty: 0.00001,
    min_notional: 5,
  });
}

function runOn(candles: Candles, p = params, category = 'major') {
  const out = run({ candles, instrument: instrument(category, candles.symbol) }, p, sdk);
  return { liq: contextKeys.liquidity.schema.parse(out.outputs.liquidity), rationale: out.rationale };
}

/** Candles from explicit [high, low] pairs, hourly, close = mid, fixed volume. */
function bars(hl: [number, number][], opts: { volume?: number; ts?: number[] } = {}): Candles {
  const t0 = Date.UTC(2024, 0, 1);
  return {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    ts: opts.ts ?? hl.map((_, i) => t0 + i * H),
    open: hl.map(([h, l]) => (h + l) / 2),
    high: hl.map(([h]) => h),
    low: hl.map(([, l]) => l),
    close: hl.map(([h, l]) => (h + l) / 2),
    volume: hl.map(() => opts.volume ?? 1_000_000),
  };
}

/** Reference Corwin-Schultz, written as 2·tanh(alpha/2) with alpha = (√2-1)√β/k - √(γ/k), k = 3-2√2. */
function refSpreadPct(c: Candles, from: number, to: number): number {
  const k = 3 - 2 * Math.SQRT2;
  const s: number[] = [];
  for (let i = from; i < to - 1; i++) {
    const b = Math.log(c.high[i]! / c.low[i]!) ** 2 + Math.log(c.high[i + 1]! / c.low[i + 1]!) ** 2;
    const g = Math.log(Math.max(c.high[i]!, c.high[i + 1]!) / Math.min(c.low[i]!, c.low[i + 1]!)) ** 2;
    const a = ((Math.SQRT2 - 1) * Math.sqrt(b)) / k - Math.sqrt(g / k);
    s.push(Math.max(0, 2 * Math.tanh(a / 2)));
  }
  return (100 * s.reduce((x, y) => x + y, 0)) / s.length;
}

describe('instrument_intelligence_v1 on real 2024 candles', () => {
  it('BTC/USDT: average quote volume and Corwin-Schultz spread match independent computations; tier high', () => {
    const candles = sampleCandles({ from: 0, to: 300 });
    let sum = 0;
    for (let i = 276; i < 300; i++) sum += candles.close[i]! * candles.volume[i]!;
    const { liq, rationale } = runOn(candles);
    expect(liq.avg_quote_volume).toBeCloseTo(sum / 24, 4);
    expect(liq.spread_proxy_pct).toBeCloseTo(refSpreadPct(candles, 276, 300), 10);
    expect(liq.spread_proxy_pct).toBeGreaterThan(0);
    expect(liq.spread_proxy_pct).toBeLessThan(1); // a BTC/USDT spread proxy of a percent or more would be absurd
    expect(liq.tier).toBe('high'); // BTC/USDT trades far above 10M USDT an hour
    expect(liq.category).toBe('major');
    expect(rationale).toContain(
      `Average quote volume ${Math.round(sum / 24).toLocaleString('en-US')} USDT per 1h candle over the last 24 candles: tier high`,
    );
    expect(rationale).toMatch(/Corwin-Schultz spread proxy [\d.]+% = mean of 23 adjacent-candle estimates/);
  });

  it('ETH/USDT with category alt and a 168-candle lookback; the spread proxy follows the per-pair clamp', () => {
    const candles = sampleCandles({ base: 'ETH', from: 4000, to: 4500 });
    const p = manifest.params.parse({ lookback: 168 });
    const { liq } = runOn(candles, p, 'alt');
    let sum = 0;
    for (let i = 500 - 168; i < 500; i++) sum += candles.close[i]! * candles.volume[i]!;
    expect(liq.avg_quote_volume).toBeCloseTo(sum / 168, 4);
    expect(liq.spread_proxy_pct).toBeCloseTo(refSpreadPct(candles, 500 - 168, 500), 10);
    expect(liq.category).toBe('alt');
  });

  it('is deterministic: same view, same output', () => {
    const candles = sampleCandles({ from: 5000, to: 5100 });
    const view = { candles, instrument: instrument() };
    expect(run(view, params, sdk)).toEqual(run(view, params, sdk));
  });
});

describe('instrument_intelligence_v1 hand-checked values', () => {
  it('two identical candles with high/low 101/99 have a spread of exactly (H-L)/mid = 2%', () => {
    const { liq } = runOn(
      bars([
        [101, 99],
        [101, 99],
      ]),
      manifest.params.parse({ lookback: 2 }),
    );
    expect(liq.spread_proxy_pct).toBeCloseTo(2, 10);
  });

  it('a negative pair estimate is clamped to 0 before averaging: (2% + 0) / 2 = 1%', () => {
    // pair 1: identical 101/99 candles -> 2%; pair 2: 101/99 then a zero-range candle at 200 -> negative -> 0
    const { liq, rationale } = runOn(
      bars([
        [101, 99],
        [101, 99],
        [200, 200],
      ]),
      manifest.params.parse({ lookback: 3 }),
    );
    expect(liq.spread_proxy_pct).toBeCloseTo(1, 10);
    expect(rationale).toContain('mean of 2 adjacent-candle estimates, 1 negative set to 0');
  });

  it('a flat market (zero-range candles at one price) has a spread proxy of 0, never negative', () => {
    const { liq } = runOn(bars(new Array(30).fill([100, 100])));
    expect(liq.spread_proxy_pct).toBe(0);
  });

  it('only the newest lookback candles count: a huge old volume outside the window changes nothing', () => {
    const a = bars(new Array(30).fill([101, 99]), { volume: 1_000 });
    const b = { ...a, volume: a.volume.map((v, i) => (i === 5 ? 1e12 : v)) };
    expect(runOn(b).liq).toEqual(runOn(a).liq);
    expect(runOn(a).liq.avg_quote_volume).toBe(100_000); // close 100 x volume 1,000
  });

  it('tiers at the thresholds (inclusive): 100 x 100,000 = 10M high, 100 x 99,999 medium, 100 x 10,000 = 1M medium, 100 x 9,999 low', () => {
    const at = (volume: number) => runOn(bars(new Array(24).fill([101, 99]), { volume })).liq.tier;
    expect(at(100_000)).toBe('high');
    expect(at(99_999)).toBe('medium');
    expect(at(10_000)).toBe('medium');
    expect(at(9_999)).toBe('low');
    expect(at(0)).toBe('low');
    const p = manifest.params.parse({ tier_high_quote_volume: 50_000_000, tier_medium_quote_volume: 20_000_000 });
    expect(runOn(bars(new Array(24).fill([101, 99]), { volume: 300_000 }), p).liq.tier).toBe('medium');
  });
});

describe('instrument_intelligence_v1 edge cases', () => {
  it('throws not enough data one candle short of the lookback', () => {
    expect(() => runOn(sampleCandles({ to: 23 }))).toThrow('not enough data: need 24 candles, have 23');
    expect(() => runOn(sampleCandles({ to: 0 }))).toThrow('not enough data: need 24 candles, have 0');
    expect(() => runOn(sampleCandles({ to: 24 }))).not.toThrow();
  });

  it('skips a pair that spans a gap in the data (its range would include the jump)', () => {
    const t0 = Date.UTC(2024, 0, 1);
    // candles 0,1 adjacent (2%); candle 2 comes 5 hours later at another price; candles 2,3 adjacent (2%)
    const c = bars(
      [
        [101, 99],
        [101, 99],
        [202, 198],
        [202, 198],
      ],
      { ts: [t0, t0 + H, t0 + 6 * H, t0 + 7 * H] },
    );
    const { liq, rationale } = runOn(c, manifest.params.parse({ lookback: 4 }));
    expect(liq.spread_proxy_pct).toBeCloseTo(2, 10);
    expect(rationale).toContain('1 pairs across a data gap skipped');
    const none = bars(
      [
        [101, 99],
        [101, 99],
      ],
      { ts: [t0, t0 + 3 * H] },
    );
    expect(() => runOn(none, manifest.params.parse({ lookback: 2 }))).toThrow(
      /not enough data: need 2 adjacent candles/,
    );
  });

  it('params reject medium above high, a lookback below 2 and unknown keys', () => {
    expect(manifest.params.safeParse({ tier_medium_quote_volume: 2e7 }).success).toBe(false);
    expect(manifest.params.safeParse({ lookback: 1 }).success).toBe(false);
    expect(manifest.params.safeParse({ look_back: 24 }).success).toBe(false);
    expect(params).toEqual({ lookback: 24, tier_high_quote_volume: 10_000_000, tier_medium_quote_volume: 1_000_000 });
  });
});
