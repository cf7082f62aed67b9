import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/filters/risk_off_alt_blocker_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
type Regime = ContextValue<'market_regime'>['regime'];

const RULE = 'USDT.D rising 2.1% over 30d and BTC.D rising';
const regime = (r: Regime, rule = RULE) => contextKeys.market_regime.schema.parse({ regime: r, rule });
function instrument(symbol: string, category: string): ContextValue<'instrument'> {
  const [base, quote] = symbol.split('/');
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
const BTC = instrument('BTC/USDT', 'major');
const SOL = instrument('SOL/USDT', 'alt');

function verdict(view: Parameters<typeof run>[0], p = params) {
  const out = run(view, p, sdk);
  expect(out.outputs.filter_verdicts).toHaveLength(1);
  const v = contextKeys.filter_verdicts.schema.parse(out.outputs.filter_verdicts![0]);
  return { ...v, rationale: out.rationale };
}

describe('risk_off_alt_blocker_v1', () => {
  it('manifest declares a filter reading market_regime and instrument', () => {
    expect(manifest.module_id).toBe('risk_off_alt_blocker_v1');
    expect(manifest.logic_type).toBe('filter');
    expect([...manifest.input_keys].sort()).toEqual(['instrument', 'market_regime']);
    expect(manifest.output_keys).toEqual(['filter_verdicts']);
  });

  it('risk_off blocks an alt and states regime, rule, category and the allowed list', () => {
    const v = verdict({ market_regime: regime('risk_off'), instrument: SOL });
    expect(v.allow).toBe(false);
    expect(v.reason).toBe(
      `block: regime risk_off (rule: ${RULE}): SOL/USDT category alt is not in the categories allowed during risk_off [major]`,
    );
    expect(v.rationale).toContain('risk_off');
  });

  it('risk_off still allows a major', () => {
    const v = verdict({ market_regime: regime('risk_off'), instrument: BTC });
    expect(v.allow).toBe(true);
    expect(v.reason).toBe(
      `allow: regime risk_off (rule: ${RULE}), but BTC/USDT category major is in the categories allowed during risk_off [major]`,
    );
  });

  it.each<Regime>(['risk_on', 'neutral', 'alt_season'])(
    '%s allows alts and says the rule only acts in risk_off',
    (r) => {
      const v = verdict({ market_regime: regime(r, `rule for ${r}`), instrument: SOL });
      expect(v.allow).toBe(true);
      expect(v.reason).toBe(
        `allow: regime ${r} (rule: rule for ${r}); alts are blocked only in risk_off, so SOL/USDT (category alt) passes`,
      );
    },
  );

  it('the allowed list is configurable and compared case-insensitively', () => {
    const p = manifest.params.parse({ allowed_categories_in_risk_off: ['major', 'Stable'] });
    const usdc = instrument('USDC/USDT', 'stable');
    expect(verdict({ market_regime: regime('risk_off'), instrument: usdc }, p).allow).toBe(true);
    expect(verdict({ market_regime: regime('risk_off'), instrument: usdc }).allow).toBe(false);
    expect(verdict({ market_regime: regime('risk_off'), instrument: instrument('BTC/USDT', 'MAJOR') }).allow).toBe(
      true,
    );
    expect(verdict({ market_regime: regime('risk_off'), instrument: SOL }, p).reason).toContain('[major, Stable]');
  });

  it('an empty allowed list blocks every instrument in risk_off but nothing otherwise', () => {
    const p = manifest.params.parse({ allowed_categories_in_risk_off: [] });
    const v = verdict({ market_regime: regime('risk_off'), instrument: BTC }, p);
    expect(v.allow).toBe(false);
    expect(v.reason).toContain('not in the categories allowed during risk_off []');
    expect(verdict({ market_regime: regime('risk_on'), instrument: BTC }, p).allow).toBe(true);
  });

  it('params: default, strict, no blanks, no repeats', () => {
    expect(params).toEqual({ allowed_categories_in_risk_off: ['major'] });
    expect(manifest.params.safeParse({ allowed_categories_in_risk_off: ['major', 'Major'] }).success).toBe(false);
    expect(manifest.params.safeParse({ allowed_categories_in_risk_off: [''] }).success).toBe(false);
    expect(manifest.params.safeParse({ allowed_categories_in_risk_off: ['  '] }).success).toBe(false);
    expect(manifest.params.safeParse({ allowed_categories_in_risk_off: 'major' }).success).toBe(false);
    expect(manifest.params.safeParse({ other: 1 }).success).toBe(false);
  });

  it('is deterministic', () => {
    const view = { market_regime: regime('risk_off'), instrument: SOL };
    expect(run(view, params, sdk)).toEqual(run(view, params, sdk));
  });
});
