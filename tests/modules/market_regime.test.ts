import { describe, expect, it } from 'vitest';
import { deriveMacro } from '../../market/macro/derive.ts';
import * as btcD from '../../modules/context/btc_d_analyzer_v1.ts';
import { manifest, run } from '../../modules/context/market_regime_v1.ts';
import * as usdtD from '../../modules/context/usdt_d_analyzer_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { cgRaw, cgRows, DAY } from '../macro/sample-macro.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
type Macro = NonNullable<ContextValue<'macro'>>;
type State = ContextValue<'usdt_d_state'>;

/** The macro value at `asOf` from the real CoinGecko rows visible then (stamped at least a day earlier). */
function macroAt(asOf: string): Macro {
  const t = Date.parse(asOf);
  const last = new Date(Math.floor((t - DAY) / DAY) * DAY).toISOString().slice(0, 10);
  return contextKeys.macro.schema.parse(deriveMacro(cgRaw('2023-01-01', last), new Date(t))) as Macro;
}

/** TOTAL's relative change between two rows, by hand from the CSV. */
function totalPct(from: string, to: string): number {
  const v = (d: string) => cgRows.find((r) => r.ts === Date.parse(`${d}T00:00:00Z`))!.total;
  return (100 * (v(to) - v(from))) / v(from);
}

function regimeOf(view: { usdt_d_state: State; btc_d_state: State; macro: Macro | null }, p = params) {
  const out = run(view, p, sdk);
  return { ...contextKeys.market_regime.schema.parse(out.outputs.market_regime), rationale: out.rationale };
}

/** The whole context chain on real data: macro -> both analyzers (defaults) -> regime. */
function chain(asOf: string, p = params) {
  const macro = macroAt(asOf);
  const u = usdtD.run({ macro }, usdtD.manifest.params.parse({}), sdk).outputs.usdt_d_state!;
  const b = btcD.run({ macro }, btcD.manifest.params.parse({}), sdk).outputs.btc_d_state!;
  return { u, b, macro, r: regimeOf({ usdt_d_state: u, btc_d_state: b, macro }, p) };
}

const st = (direction: State['direction'], change_pct: number | null): State => ({
  direction,
  change_pct,
  bias: direction === 'rising' ? 'risk_off' : direction === 'falling' ? 'risk_on' : 'neutral',
});

describe('market_regime_v1 on real CoinGecko 2024 rows (7d trends, as of noon the day after the row)', () => {
  it('Aug 2024 crash (row 08-05): USDT.D +18.4% -> risk_off by rule 1', () => {
    const { u, r } = chain('2024-08-06T12:00:00Z');
    expect(u.direction).toBe('rising');
    expect(r.regime).toBe('risk_off');
    expect(r.rule).toBe('1. USDT.D rising -> risk_off: USDT.D rising (+18.43%)');
  });

  it('row 03-08: USDT.D -9.3%, BTC.D -2.95%, TOTAL +12.5% -> alt_season by rule 2', () => {
    const { u, b, r } = chain('2024-03-09T12:00:00Z');
    expect([u.direction, b.direction]).toEqual(['falling', 'falling']);
    expect(totalPct('2024-03-01', '2024-03-08')).toBeCloseTo(12.5, 1);
    expect(r.regime).toBe('alt_season');
    expect(r.rule).toContain('2. USDT.D falling, BTC.D falling and TOTAL rising -> alt_season');
    expect(r.rule).toContain(
      `TOTAL +${totalPct('2024-03-01', '2024-03-08').toFixed(2)}% over 7d (rising: > 1% needed)`,
    );
  });

  it('row 03-04: USDT.D -14.2% but BTC.D +2.6% (a BTC-led rally) -> risk_on by rule 3', () => {
    const { b, r } = chain('2024-03-05T12:00:00Z');
    expect(b.direction).toBe('rising');
    expect(r.regime).toBe('risk_on');
    expect(r.rule).toMatch(/^3\. USDT\.D falling -> risk_on \(not alt_season: BTC\.D rising \(\+2\.63%\)\)/);
  });

  it('row 08-02: USDT.D +0.86% (flat) -> neutral by rule 4', () => {
    const { u, r } = chain('2024-08-03T12:00:00Z');
    expect(u.direction).toBe('flat');
    expect(r.regime).toBe('neutral');
    expect(r.rule).toBe('4. USDT.D neither rising nor falling -> neutral: USDT.D flat (+0.86%)');
  });

  it('total_rising_pct is a threshold: row 02-26 has TOTAL +1.82% -> alt_season at 1%, risk_on at 2%', () => {
    expect(totalPct('2024-02-19', '2024-02-26')).toBeCloseTo(1.82, 2);
    expect(chain('2024-02-27T12:00:00Z').r.regime).toBe('alt_season');
    const { r } = chain('2024-02-27T12:00:00Z', manifest.params.parse({ total_rising_pct: 2 }));
    expect(r.regime).toBe('risk_on');
    expect(r.rule).toContain('not alt_season: TOTAL +1.82% over 7d (not rising: > 2% needed)');
  });

  it('total_lookback "30d" reads the 30-day TOTAL trend', () => {
    const { r } = chain('2024-03-09T12:00:00Z', manifest.params.parse({ total_lookback: '30d' }));
    expect(r.rationale).toContain(`TOTAL +${totalPct('2024-02-07', '2024-03-08').toFixed(2)}% over 30d`);
  });

  it('every 2024 day is schema-valid and follows the rule order', () => {
    const seen = new Set<string>();
    for (let t = Date.UTC(2024, 0, 2, 12); t < Date.UTC(2025, 0, 1); t += DAY) {
      const { u, b, macro, r } = chain(new Date(t).toISOString());
      seen.add(r.regime);
      const total = macro.trends.total_mcap_usd['7d']!.change_pct;
      const expected =
        u.direction === 'rising'
          ? 'risk_off'
          : u.direction === 'falling' && b.direction === 'falling' && total > 1
            ? 'alt_season'
            : u.direction === 'falling'
              ? 'risk_on'
              : 'neutral';
      expect(r.regime).toBe(expected);
    }
    expect(seen).toEqual(new Set(['risk_on', 'risk_off', 'neutral', 'alt_season']));
  });

  it('is deterministic: same view, same output', () => {
    const macro = macroAt('2024-03-09T12:00:00Z');
    const view = { usdt_d_state: st('falling', -9), btc_d_state: st('falling', -3), macro };
    expect(run(view, params, sdk)).toEqual(run(view, params, sdk));
  });
});

describe('market_regime_v1 rule order and missing data (hand-made states)', () => {
  const macro = macroAt('2024-03-09T12:00:00Z'); // TOTAL 7d +12.5%

  it('USDT.D rising wins over everything, even BTC.D falling with TOTAL rising', () => {
    expect(regimeOf({ usdt_d_state: st('rising', 3), btc_d_state: st('falling', -3), macro }).regime).toBe('risk_off');
  });

  it('USDT.D unknown -> neutral, whatever BTC.D says', () => {
    const r = regimeOf({ usdt_d_state: st('unknown', null), btc_d_state: st('falling', -3), macro });
    expect(r.regime).toBe('neutral');
    expect(r.rule).toContain('USDT.D unknown (n/a)');
  });

  it('no macro or stale macro: TOTAL unknown is never rising, so falling/falling is risk_on, not alt_season', () => {
    const none = regimeOf({ usdt_d_state: st('falling', -5), btc_d_state: st('falling', -3), macro: null });
    expect(none.regime).toBe('risk_on');
    expect(none.rule).toContain('TOTAL unknown (no macro data)');
    const stale = regimeOf({
      usdt_d_state: st('falling', -5),
      btc_d_state: st('falling', -3),
      macro: { ...macro, stale: true },
    });
    expect(stale.regime).toBe('risk_on');
    expect(stale.rule).toContain('is stale');
    const noTotal = regimeOf({
      usdt_d_state: st('falling', -5),
      btc_d_state: st('falling', -3),
      macro: { ...macro, total_mcap_usd: null },
    });
    expect(noTotal.regime).toBe('risk_on');
  });

  it('TOTAL exactly at total_rising_pct is not rising (strictly above needed)', () => {
    const total = macro.trends.total_mcap_usd['7d']!.change_pct;
    const p = manifest.params.parse({ total_rising_pct: total });
    expect(regimeOf({ usdt_d_state: st('falling', -5), btc_d_state: st('falling', -3), macro }, p).regime).toBe(
      'risk_on',
    );
    const p2 = manifest.params.parse({ total_rising_pct: total - 1e-9 });
    expect(regimeOf({ usdt_d_state: st('falling', -5), btc_d_state: st('falling', -3), macro }, p2).regime).toBe(
      'alt_season',
    );
  });

  it('min change params: a USDT.D fall of 1.5% is ignored at min 2 (neutral); a BTC.D fall of 1.5% at min 2 gives risk_on, not alt_season', () => {
    const u = st('falling', -1.5);
    expect(
      regimeOf(
        { usdt_d_state: u, btc_d_state: st('falling', -3), macro },
        manifest.params.parse({ usdt_d_min_change_pct: 2 }),
      ).regime,
    ).toBe('neutral');
    expect(
      regimeOf(
        { usdt_d_state: u, btc_d_state: st('falling', -3), macro },
        manifest.params.parse({ usdt_d_min_change_pct: 1.5 }),
      ).regime,
    ).toBe('alt_season');
    const r = regimeOf(
      { usdt_d_state: st('falling', -5), btc_d_state: st('falling', -1.5), macro },
      manifest.params.parse({ btc_d_min_change_pct: 2 }),
    );
    expect(r.regime).toBe('risk_on');
    expect(r.rule).toContain('[min |change| USDT.D 0%, BTC.D 2%]');
  });

  it('the rationale lists the rule order and the inputs', () => {
    const r = regimeOf({ usdt_d_state: st('flat', 0.2), btc_d_state: st('flat', 0.1), macro });
    expect(r.rationale).toContain(
      'Rules in order: 1 USDT.D rising -> risk_off; 2 USDT.D falling + BTC.D falling + TOTAL rising -> alt_season; 3 USDT.D falling -> risk_on; 4 else neutral.',
    );
    expect(r.rationale).toContain('USDT.D flat (+0.20%), bias neutral; BTC.D flat (+0.10%), bias neutral');
  });

  it('params reject a malformed lookback, a negative threshold and unknown keys', () => {
    expect(manifest.params.safeParse({ total_lookback: 'week' }).success).toBe(false);
    expect(manifest.params.safeParse({ total_rising_pct: -1 }).success).toBe(false);
    expect(manifest.params.safeParse({ alt_season: true }).success).toBe(false);
    expect(params).toEqual({
      total_lookback: '7d',
      total_rising_pct: 1,
      usdt_d_min_change_pct: 0,
      btc_d_min_change_pct: 0,
    });
  });
});
