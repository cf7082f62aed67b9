import { describe, expect, it } from 'vitest';
import { deriveMacro } from '../../market/macro/derive.ts';
import { manifest, run } from '../../modules/context/usdt_d_analyzer_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { cgRaw, cgRows, DAY, type CgRow } from '../macro/sample-macro.ts';

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

const usdtD = (day: string) => {
  const r = cgRows.find((x) => x.ts === Date.parse(`${day}T00:00:00Z`))!;
  return (100 * r.usdt) / r.total;
};

function runOn(macro: Macro | null, p = params) {
  const out = run({ macro }, p, sdk);
  return { s: contextKeys.usdt_d_state.schema.parse(out.outputs.usdt_d_state), rationale: out.rationale };
}

describe('the hand-built macro value agrees with the production derivation', () => {
  it('2024-08-06T12:00: same levels and USDT.D trend as deriveMacro on the visible rows', () => {
    const mine = macroAt('2024-08-06T12:00:00Z');
    const prod = deriveMacro(cgRaw('2023-01-01', '2024-08-05'), new Date('2024-08-06T12:00:00Z'))!;
    expect(mine.as_of).toBe(prod.as_of);
    expect(mine.usdt_d).toBeCloseTo(prod.usdt_d!, 10);
    expect(mine.trends.usdt_d['7d']!.change_pct).toBeCloseTo(prod.trends.usdt_d['7d']!.change_pct, 8);
    expect(mine.trends.usdt_d['7d']!.from).toBe(prod.trends.usdt_d['7d']!.from);
    expect(mine.stale).toBe(prod.stale);
  });
});

describe('usdt_d_analyzer_v1 on real CoinGecko 2024 rows', () => {
  it('the Aug 2024 crash: USDT.D 07-29 -> 08-05 up ~18.4% over 7d = rising, risk_off', () => {
    const { s, rationale } = runOn(macroAt('2024-08-06T12:00:00Z'));
    const expected = (100 * (usdtD('2024-08-05') - usdtD('2024-07-29'))) / usdtD('2024-07-29');
    expect(expected).toBeCloseTo(18.43, 2);
    expect(s.direction).toBe('rising');
    expect(s.bias).toBe('risk_off');
    expect(s.change_pct).toBeCloseTo(expected, 10);
    expect(rationale).toContain('+18.43% over 7d, rising (flat within ±1%); rising USDT.D = money parked in the stablecoin = risk_off');
  });

  it('the early-March 2024 rally: USDT.D 02-26 -> 03-04 down ~14.2% = falling, risk_on', () => {
    const { s } = runOn(macroAt('2024-03-05T12:00:00Z'));
    expect(s.change_pct).toBeCloseTo((100 * (usdtD('2024-03-04') - usdtD('2024-02-26'))) / usdtD('2024-02-26'), 10);
    expect(s.change_pct).toBeCloseTo(-14.19, 2);
    expect(s).toMatchObject({ direction: 'falling', bias: 'risk_on' });
  });

  it('a quiet week: USDT.D 07-26 -> 08-02 up ~0.86% is flat, neutral; a 0.5% threshold makes it rising', () => {
    const m = macroAt('2024-08-03T12:00:00Z');
    expect(runOn(m).s).toMatchObject({ direction: 'flat', bias: 'neutral' });
    expect(runOn(m).s.change_pct).toBeCloseTo(0.86, 2);
    expect(runOn(m, manifest.params.parse({ flat_threshold_pct: 0.5 })).s).toMatchObject({ direction: 'rising', bias: 'risk_off' });
    expect(runOn(m, manifest.params.parse({ flat_threshold_pct: 0.86 })).s.direction).toBe('rising'); // 0.8619 > 0.86
    expect(runOn(m, manifest.params.parse({ flat_threshold_pct: 0.87 })).s.direction).toBe('flat');
  });

  it('lookback "30d" reads the 30-day trend (07-06 -> 08-05)', () => {
    const { s } = runOn(macroAt('2024-08-06T12:00:00Z'), manifest.params.parse({ lookback: '30d' }));
    const expected = (100 * (usdtD('2024-08-05') - usdtD('2024-07-06'))) / usdtD('2024-07-06');
    expect(s.change_pct).toBeCloseTo(expected, 10);
    expect(s.direction).toBe(expected > 1 ? 'rising' : expected < -1 ? 'falling' : 'flat');
  });

  it('is deterministic: same view, same output', () => {
    const m = macroAt('2024-11-20T08:00:00Z');
    expect(run({ macro: m }, params, sdk)).toEqual(run({ macro: m }, params, sdk));
  });
});

describe('usdt_d_analyzer_v1 without usable data: unknown and neutral, with the reason', () => {
  const unknown = { direction: 'unknown', change_pct: null, bias: 'neutral' };

  it('no macro data', () => {
    const { s, rationale } = runOn(null);
    expect(s).toEqual(unknown);
    expect(rationale).toBe('USDT.D direction unknown, bias neutral: no macro data is stored for this run.');
  });

  it('stale macro (newest row 08-05 seen on 08-08 12:00, 84 h old), even though its trend says rising', () => {
    const m = macroAt('2024-08-06T12:00:00Z');
    const stale = { ...m, age_hours: 84, stale: true };
    const { s, rationale } = runOn(stale);
    expect(s).toEqual(unknown);
    expect(rationale).toContain('is stale, 84.0 h old');
  });

  it('history too short for the lookback (Jan 2023: no 7d reference row)', () => {
    const m = macroAt('2023-01-05T12:00:00Z');
    expect(m.trends.usdt_d['7d']).toBeNull();
    const { s, rationale } = runOn(m);
    expect(s).toEqual(unknown);
    expect(rationale).toContain('the 7d trend is null');
  });

  it('a lookback the macro value does not carry', () => {
    const { s, rationale } = runOn(macroAt('2024-08-06T12:00:00Z'), manifest.params.parse({ lookback: '14d' }));
    expect(s).toEqual(unknown);
    expect(rationale).toContain('has no 14d trend (it has 7d, 30d)');
  });

  it('a source without USDT.D', () => {
    const m = { ...macroAt('2024-08-06T12:00:00Z'), usdt_d: null };
    expect(runOn(m).s).toEqual(unknown);
  });

  it('params reject a malformed lookback, a negative threshold and unknown keys', () => {
    expect(manifest.params.safeParse({ lookback: '7' }).success).toBe(false);
    expect(manifest.params.safeParse({ lookback: '0d' }).success).toBe(false);
    expect(manifest.params.safeParse({ flat_threshold_pct: -1 }).success).toBe(false);
    expect(manifest.params.safeParse({ lookbak: '7d' }).success).toBe(false);
    expect(params).toEqual({ lookback: '7d', flat_threshold_pct: null });
  });
});
