import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/context/btc_d_analyzer_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { cgRows, DAY, type CgRow } from '../macro/sample-macro.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
type Macro = NonNullable<ContextValue<'macro'>>;

/**
 * The macro value a run at `asOf` sees, built by hand from the real CoinGecko CSV rows: the newest
 * row visible (stamped at least one day before asOf), USDT.D = 100 x USDT mcap / total, and 7d/30d
 * trends of USDT.D, BTC.D and TOTAL against the row exactly N days earlier (the sample has no missing day).
 */
function macroAt(asOf: string): Macro {
  const t = Date.parse(asOf);
  const rows = cgRows.filter((r) => r.ts + DAY <= t);
  const r1 = rows[rows.length - 1]!;
  const byTs = new Map(cgRows.map((r) => [r.ts, r]));
  const metric = { usdt_d: (r: CgRow) => (100 * r.usdt) / r.total, btc_d: (r: CgRow) => (100 * r.btc) / r.total, total_mcap_usd: (r: CgRow) => r.total };
  const trend = (f: (r: CgRow) => number, days: number) => {
    const r0 = byTs.get(r1.ts - days * DAY);
    if (!r0) return null;
    const v0 = f(r0);
    const v1 = f(r1);
    const changePct = (100 * (v1 - v0)) / Math.abs(v0);
    return {
      lookback_days: days, from: new Date(r0.ts).toISOString(), from_value: v0, change: v1 - v0, change_pct: changePct,
      slope_per_day: (v1 - v0) / days, threshold_pct: 1,
      direction: changePct > 1 ? ('rising' as const) : changePct < -1 ? ('falling' as const) : ('flat' as const),
    };
  };
  const set = (f?: (r: CgRow) => number) => ({ '7d': f ? trend(f, 7) : null, '30d': f ? trend(f, 30) : null });
  const age = (t - r1.ts) / 3_600_000;
  return contextKeys.macro.schema.parse({
    source: 'coingecko_csv', as_of: new Date(r1.ts).toISOString(), visible_at: new Date(r1.ts + DAY).toISOString(),
    age_hours: age, stale: age > 48,
    total_mcap_usd: r1.total, btc_d: metric.btc_d(r1), usdt_d: metric.usdt_d(r1), eth_d: null,
    alts_d: 100 - metric.btc_d(r1) - metric.usdt_d(r1), alts_ex_eth_d: null, total3_usd: null, total_forward_filled: r1.ffill === 1,
    trends: {
      total_mcap_usd: set(metric.total_mcap_usd), btc_d: set(metric.btc_d), usdt_d: set(metric.usdt_d),
      eth_d: set(), alts_d: set((r) => 100 - metric.btc_d(r) - metric.usdt_d(r)), alts_ex_eth_d: set(), total3_usd: set(),
    },
  }) as Macro;
}

const btcD = (day: string) => {
  const r = cgRows.find((x) => x.ts === Date.parse(`${day}T00:00:00Z`))!;
  return (100 * r.btc) / r.total;
};
const pctChange = (from: string, to: string) => (100 * (btcD(to) - btcD(from))) / btcD(from);

function runOn(macro: Macro | null, p = params) {
  const out = run({ macro }, p, sdk);
  return { s: contextKeys.btc_d_state.schema.parse(out.outputs.btc_d_state), rationale: out.rationale };
}

describe('btc_d_analyzer_v1 on real CoinGecko 2024 rows (bias read for alts)', () => {
  it('BTC.D 02-26 -> 03-04 up ~2.63% = rising: money rotates into BTC, risk_off for alts', () => {
    const { s, rationale } = runOn(macroAt('2024-03-05T12:00:00Z'));
    expect(pctChange('2024-02-26', '2024-03-04')).toBeCloseTo(2.63, 2);
    expect(s.change_pct).toBeCloseTo(pctChange('2024-02-26', '2024-03-04'), 10);
    expect(s).toMatchObject({ direction: 'rising', bias: 'risk_off' });
    expect(rationale).toContain('+2.63% over 7d, rising (flat within ±1%); rising BTC.D = money rotating into BTC, alts lag = risk_off for alts');
  });

  it('BTC.D 03-01 -> 03-08 down ~2.95% = falling: rotation into alts, risk_on', () => {
    const { s } = runOn(macroAt('2024-03-09T12:00:00Z'));
    expect(s.change_pct).toBeCloseTo(pctChange('2024-03-01', '2024-03-08'), 10);
    expect(s.change_pct).toBeCloseTo(-2.95, 2);
    expect(s).toMatchObject({ direction: 'falling', bias: 'risk_on' });
  });

  it('BTC.D 07-26 -> 08-02 up ~0.21% is flat, neutral; a 0.1% threshold makes it rising', () => {
    const m = macroAt('2024-08-03T12:00:00Z');
    expect(runOn(m).s).toMatchObject({ direction: 'flat', bias: 'neutral' });
    expect(runOn(m).s.change_pct).toBeCloseTo(pctChange('2024-07-26', '2024-08-02'), 10);
    expect(runOn(m, manifest.params.parse({ flat_threshold_pct: 0.1 })).s).toMatchObject({ direction: 'rising', bias: 'risk_off' });
  });

  it('a change exactly at flat_threshold_pct is flat (strictly beyond is needed), on either side', () => {
    const rising = macroAt('2024-03-05T12:00:00Z');
    const up = rising.trends.btc_d['7d']!.change_pct;
    expect(runOn(rising, manifest.params.parse({ flat_threshold_pct: up })).s.direction).toBe('flat');
    expect(runOn(rising, manifest.params.parse({ flat_threshold_pct: up - 1e-9 })).s.direction).toBe('rising');
    const falling = macroAt('2024-03-09T12:00:00Z');
    const down = falling.trends.btc_d['7d']!.change_pct;
    expect(runOn(falling, manifest.params.parse({ flat_threshold_pct: -down })).s.direction).toBe('flat');
    expect(runOn(falling, manifest.params.parse({ flat_threshold_pct: -down - 1e-9 })).s.direction).toBe('falling');
  });

  it('reads trends.btc_d, not trends.usdt_d: in the Aug 2024 crash USDT.D rose ~18% but BTC.D only ~1.08%', () => {
    const m = macroAt('2024-08-06T12:00:00Z');
    const { s } = runOn(m);
    expect(s.change_pct).toBeCloseTo(pctChange('2024-07-29', '2024-08-05'), 10);
    expect(s.change_pct).toBeCloseTo(1.08, 2);
    expect(s.direction).toBe('rising');
  });

  it('lookback "30d" reads the 30-day trend (02-03 -> 03-04)', () => {
    const { s } = runOn(macroAt('2024-03-05T12:00:00Z'), manifest.params.parse({ lookback: '30d' }));
    expect(s.change_pct).toBeCloseTo(pctChange('2024-02-03', '2024-03-04'), 10);
  });

  it('is deterministic: same view, same output', () => {
    const m = macroAt('2024-12-05T08:00:00Z');
    expect(run({ macro: m }, params, sdk)).toEqual(run({ macro: m }, params, sdk));
  });
});

describe('btc_d_analyzer_v1 without usable data: unknown and neutral, with the reason', () => {
  const unknown = { direction: 'unknown', change_pct: null, bias: 'neutral' };

  it('no macro data', () => {
    const { s, rationale } = runOn(null);
    expect(s).toEqual(unknown);
    expect(rationale).toBe('BTC.D direction unknown, bias neutral: no macro data is stored for this run.');
  });

  it('stale macro, even though its trend says rising', () => {
    const m = macroAt('2024-03-05T12:00:00Z');
    const { s, rationale } = runOn({ ...m, age_hours: 60, stale: true });
    expect(s).toEqual(unknown);
    expect(rationale).toContain('is stale, 60.0 h old');
  });

  it('history too short for the lookback, a lookback not carried, a source without BTC.D', () => {
    expect(runOn(macroAt('2023-01-05T12:00:00Z')).s).toEqual(unknown);
    expect(runOn(macroAt('2024-03-05T12:00:00Z'), manifest.params.parse({ lookback: '90d' })).rationale).toContain('has no 90d trend (it has 7d, 30d)');
    expect(runOn({ ...macroAt('2024-03-05T12:00:00Z'), btc_d: null }).rationale).toContain('has no BTC.D');
  });

  it('params reject a malformed lookback and unknown keys', () => {
    expect(manifest.params.safeParse({ lookback: '1w' }).success).toBe(false);
    expect(manifest.params.safeParse({ threshold: 1 }).success).toBe(false);
    expect(params).toEqual({ lookback: '7d', flat_threshold_pct: null });
  });
});
