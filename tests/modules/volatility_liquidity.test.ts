import { describe, expect, it } from 'vitest';
import { manifest, prepare, run } from '../../modules/filters/volatility_liquidity_v1.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, syntheticCandles } from '../helpers/sample-candles.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
const healthy: ContextValue<'data_health'> = {
  ok: true,
  bars: 300,
  gaps: 0,
  missing_bars: 0,
  duplicates: 0,
  bad_values: 0,
  ohlc_errors: 0,
  off_grid: 0,
  first_corrupt_ts: null,
  zero_volume_streak: 0,
  last_close_ts: null,
  stale: false,
  issues: [],
};
const normalVol: ContextValue<'volatility'> = { atr: 300, atr_pct: 0.7, band: 'normal' };

/** The module as a live run calls it: its column prepared over the view's candles, then run at the newest. */
function verdict(view: Parameters<typeof run>[0], p = params) {
  const out = run(view, p, sdk, preparedOver(prepare, view.candles, p));
  expect(out.outputs.filter_verdicts).toHaveLength(1);
  const v = contextKeys.filter_verdicts.schema.parse(out.outputs.filter_verdicts![0]);
  expect(v.source).toBeUndefined();
  return { ...v, rationale: out.rationale };
}

describe('volatility_liquidity_v1', () => {
  it('allows real BTC/USDT 1h candles and states the average quote volume it computed', () => {
    const candles = sampleCandles({ from: 0, to: 300 });
    let sum = 0;
    for (let i = 276; i < 300; i++) sum += candles.close[i]! * candles.volume[i]!;
    const avg = Math.round(sum / 24).toLocaleString('en-US'); // independent formatting
    const v = verdict({ candles, volatility: normalVol, data_health: healthy });
    expect(v.allow).toBe(true);
    expect(v.reason).toContain(`average quote volume ${avg} over the last 24 candles`);
    expect(v.reason).toContain('ATR 0.700% within [0.15%, 3%]');
  });

  it('blocks unhealthy data and names the issues', () => {
    const v = verdict({
      candles: sampleCandles({ to: 300 }),
      volatility: normalVol,
      data_health: {
        ...healthy,
        ok: false,
        gaps: 1,
        missing_bars: 3,
        issues: ['3 candles missing after 2024-01-05T10:00Z'],
      },
    });
    expect(v.allow).toBe(false);
    expect(v.reason).toContain('data health not ok (3 candles missing after 2024-01-05T10:00Z)');
  });

  it('blocks ATR% outside the range at both ends, and allows the boundaries', () => {
    const candles = sampleCandles({ to: 300 });
    const at = (atr_pct: number) =>
      verdict({ candles, volatility: { atr: 1, atr_pct, band: 'normal' }, data_health: healthy });
    expect(at(0.1).allow).toBe(false);
    expect(at(0.1).reason).toContain('ATR 0.100% outside [0.15%, 3%]');
    expect(at(3.5).allow).toBe(false);
    expect(at(0.15).allow).toBe(true);
    expect(at(3).allow).toBe(true);
  });

  it('a flat market (ATR 0, constant price) is blocked as too quiet', () => {
    const candles = syntheticCandles(new Array(50).fill(100), { volume: 1_000_000 });
    const v = verdict({ candles, volatility: { atr: 0, atr_pct: 0, band: 'low' }, data_health: healthy });
    expect(v.allow).toBe(false);
    expect(v.reason).toBe('block: ATR 0.000% outside [0.15%, 3%]');
  });

  it('blocks thin markets: 100 x 9,999 = 999,900 average quote volume is below 1,000,000', () => {
    const thin = syntheticCandles(new Array(30).fill(100), { volume: 9_999 });
    const v = verdict({ candles: thin, volatility: normalVol, data_health: healthy });
    expect(v.allow).toBe(false);
    expect(v.reason).toContain('average quote volume 999,900 over the last 24 candles below minimum 1,000,000');
    const ok = syntheticCandles(new Array(30).fill(100), { volume: 10_000 });
    expect(verdict({ candles: ok, volatility: normalVol, data_health: healthy }).allow).toBe(true);
  });

  it('uses only the last N candles: an old volume spike does not lift a thin market', () => {
    const c = syntheticCandles(new Array(48).fill(100), { volume: 10 });
    c.volume[0] = 1e9;
    expect(verdict({ candles: c, volatility: normalVol, data_health: healthy }).allow).toBe(false);
  });

  it('too little history to judge liquidity blocks with a clear reason', () => {
    const v = verdict({ candles: sampleCandles({ to: 10 }), volatility: normalVol, data_health: healthy });
    expect(v.allow).toBe(false);
    expect(v.reason).toContain('only 10 candles, need 24 to judge average quote volume');
  });

  it('names every failed check in one verdict', () => {
    const v = verdict({
      candles: sampleCandles({ to: 5 }),
      volatility: { atr: 1, atr_pct: 9, band: 'high' },
      data_health: { ...healthy, ok: false, stale: true, issues: ['newest candle is 3h old'] },
    });
    expect(v.reason).toBe(
      'block: data health not ok (newest candle is 3h old); ATR 9.000% outside [0.15%, 3%]; only 5 candles, need 24 to judge average quote volume',
    );
  });

  it('params: defaults, strictness and min <= max', () => {
    expect(params).toEqual({ min_atr_pct: 0.15, max_atr_pct: 3, volume_lookback: 24, min_avg_quote_volume: 1_000_000 });
    expect(manifest.params.safeParse({ min_atr_pct: 2, max_atr_pct: 1 }).success).toBe(false);
    expect(manifest.params.safeParse({ extra: 1 }).success).toBe(false);
  });
});
