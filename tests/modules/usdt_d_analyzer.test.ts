import { describe, expect, it } from 'vitest';
import { deriveMacro } from '../../market/macro/derive.ts';
import { manifest, run } from '../../modules/context/usdt_d_analyzer_v1.ts';
import { contextKeys } from '../../sdk/index.ts';
import { cgRaw, cgRows } from '../macro/sample-macro.ts';
import { macroAt, sdk, type Macro } from '../helpers/module-views.ts';

const params = manifest.params.parse({});

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
    expect(rationale).toContain(
      '+18.43% over 7d, rising (flat within ±1%); rising USDT.D = money parked in the stablecoin = risk_off',
    );
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
    expect(runOn(m, manifest.params.parse({ flat_threshold_pct: 0.5 })).s).toMatchObject({
      direction: 'rising',
      bias: 'risk_off',
    });
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
