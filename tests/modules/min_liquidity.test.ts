import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/filters/min_liquidity_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
type Liq = ContextValue<'liquidity'>;

function liq(over: Partial<Liq> = {}): Liq {
  return contextKeys.liquidity.schema.parse({
    avg_quote_volume: 25_000_000,
    spread_proxy_pct: 0.02,
    tier: 'high',
    category: 'major',
    ...over,
  });
}

function verdict(liquidity: Liq, p = params) {
  const out = run({ liquidity }, p, sdk);
  expect(out.outputs.filter_verdicts).toHaveLength(1);
  const v = contextKeys.filter_verdicts.schema.parse(out.outputs.filter_verdicts![0]);
  return { ...v, rationale: out.rationale };
}

describe('min_liquidity_v1', () => {
  it('manifest declares a filter reading only liquidity', () => {
    expect(manifest.module_id).toBe('min_liquidity_v1');
    expect(manifest.logic_type).toBe('filter');
    expect(manifest.input_keys).toEqual(['liquidity']);
    expect(manifest.output_keys).toEqual(['filter_verdicts']);
  });

  it('allows a liquid major and states every figure', () => {
    const v = verdict(liq());
    expect(v.allow).toBe(true);
    expect(v.reason).toBe(
      'allow: average quote volume 25,000,000 >= minimum 1,000,000; spread proxy 0.02% <= maximum 0.5%; tier high >= minimum tier medium',
    );
    expect(v.rationale).toContain('category major');
  });

  it('volume: exactly the minimum passes, just below blocks', () => {
    expect(verdict(liq({ avg_quote_volume: 1_000_000 })).allow).toBe(true);
    const v = verdict(liq({ avg_quote_volume: 999_999.4 }));
    expect(v.allow).toBe(false);
    expect(v.reason).toBe('block: average quote volume 999,999 below minimum 1,000,000');
  });

  it('spread: exactly the maximum passes, just above blocks', () => {
    expect(verdict(liq({ spread_proxy_pct: 0.5 })).allow).toBe(true);
    const v = verdict(liq({ spread_proxy_pct: 0.5001 }));
    expect(v.allow).toBe(false);
    expect(v.reason).toBe('block: spread proxy 0.5001% above maximum 0.5%');
  });

  it('tier: low < medium < high, the minimum tier itself passes', () => {
    expect(verdict(liq({ tier: 'medium' })).allow).toBe(true);
    const low = verdict(liq({ tier: 'low' }));
    expect(low.allow).toBe(false);
    expect(low.reason).toBe('block: tier low below minimum tier medium');
    const highOnly = manifest.params.parse({ min_tier: 'high' });
    expect(verdict(liq({ tier: 'medium' }), highOnly).allow).toBe(false);
    expect(verdict(liq({ tier: 'high' }), highOnly).allow).toBe(true);
    const any = manifest.params.parse({ min_tier: 'low' });
    expect(verdict(liq({ tier: 'low' }), any).allow).toBe(true);
  });

  it('names every failed check in one verdict, and what passed in the rationale', () => {
    const v = verdict(liq({ avg_quote_volume: 12_345.6, spread_proxy_pct: 1.25, tier: 'low', category: 'alt' }));
    expect(v.allow).toBe(false);
    expect(v.reason).toBe(
      'block: average quote volume 12,346 below minimum 1,000,000; spread proxy 1.25% above maximum 0.5%; tier low below minimum tier medium',
    );
    expect(v.rationale).toContain('category alt');
    const partial = verdict(liq({ spread_proxy_pct: 2 }));
    expect(partial.rationale).toContain('Passed: average quote volume 25,000,000 >= minimum 1,000,000');
  });

  it('custom thresholds are honoured', () => {
    const p = manifest.params.parse({ min_avg_quote_volume: 50_000_000, max_spread_proxy_pct: 0.01 });
    const v = verdict(liq(), p);
    expect(v.allow).toBe(false);
    expect(v.reason).toBe(
      'block: average quote volume 25,000,000 below minimum 50,000,000; spread proxy 0.02% above maximum 0.01%',
    );
  });

  it('params: defaults, strict, ranges, tier names', () => {
    expect(params).toEqual({ min_avg_quote_volume: 1_000_000, max_spread_proxy_pct: 0.5, min_tier: 'medium' });
    expect(manifest.params.safeParse({ min_avg_quote_volume: -1 }).success).toBe(false);
    expect(manifest.params.safeParse({ max_spread_proxy_pct: -0.1 }).success).toBe(false);
    expect(manifest.params.safeParse({ max_spread_proxy_pct: 101 }).success).toBe(false);
    expect(manifest.params.safeParse({ min_tier: 'huge' }).success).toBe(false);
    expect(manifest.params.safeParse({ extra: true }).success).toBe(false);
  });

  it('is deterministic', () => {
    const view = { liquidity: Object.freeze(liq({ tier: 'low' })) };
    expect(run(view, params, sdk)).toEqual(run(view, params, sdk));
  });
});
