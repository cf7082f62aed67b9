import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/context/btc_d_analyzer_v1.ts';
import { contextKeys } from '../../sdk/index.ts';
import { cgRows } from '../macro/sample-macro.ts';
import { macroAt, sdk, type Macro } from '../helpers/module-views.ts';

const params = manifest.params.parse({});

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
    expect(rationale).toContain(
      '+2.63% over 7d, rising (flat within ±1%); rising BTC.D = money rotating into BTC, alts lag = risk_off for alts',
    );
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
    expect(runOn(m, manifest.params.parse({ flat_threshold_pct: 0.1 })).s).toMatchObject({
      direction: 'rising',
      bias: 'risk_off',
    });
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
    expect(runOn(macroAt('2024-03-05T12:00:00Z'), manifest.params.parse({ lookback: '90d' })).rationale).toContain(
      'has no 90d trend (it has 7d, 30d)',
    );
    expect(runOn({ ...macroAt('2024-03-05T12:00:00Z'), btc_d: null }).rationale).toContain('has no BTC.D');
  });

  it('params reject a malformed lookback and unknown keys', () => {
    expect(manifest.params.safeParse({ lookback: '1w' }).success).toBe(false);
    expect(manifest.params.safeParse({ threshold: 1 }).success).toBe(false);
    expect(params).toEqual({ lookback: '7d', flat_threshold_pct: null });
  });
});
