import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/filters/volatility_band_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

const params = manifest.params.parse({});
const sdk = { indicators };

function vol(
  atr_pct: number,
  atr = 100,
  band: ContextValue<'volatility'>['band'] = 'normal',
): ContextValue<'volatility'> {
  return contextKeys.volatility.schema.parse({ atr, atr_pct, band });
}

function verdict(volatility: ContextValue<'volatility'>, p = params) {
  const out = run({ volatility }, p, sdk);
  expect(out.outputs.filter_verdicts).toHaveLength(1);
  const v = contextKeys.filter_verdicts.schema.parse(out.outputs.filter_verdicts![0]);
  expect(out.rationale.length).toBeGreaterThan(0);
  return { ...v, rationale: out.rationale };
}

describe('volatility_band_v1', () => {
  it('manifest declares a filter reading only volatility', () => {
    expect(manifest.module_id).toBe('volatility_band_v1');
    expect(manifest.logic_type).toBe('filter');
    expect(manifest.input_keys).toEqual(['volatility']);
    expect(manifest.output_keys).toEqual(['filter_verdicts']);
  });

  it('allows ATR% inside the band and states the figures', () => {
    const v = verdict(vol(0.7, 300));
    expect(v.allow).toBe(true);
    expect(v.reason).toBe('allow: ATR 0.7% (ATR 300, band normal) within the allowed band [0.15%, 3%]');
    expect(v.rationale).toContain('ATR 0.7%');
  });

  it('both boundaries are inclusive, and the values just outside block', () => {
    expect(verdict(vol(0.15)).allow).toBe(true);
    expect(verdict(vol(3)).allow).toBe(true);
    const below = verdict(vol(0.149999));
    expect(below.allow).toBe(false);
    expect(below.reason).toContain('ATR 0.149999%');
    const above = verdict(vol(3.000001));
    expect(above.allow).toBe(false);
    expect(above.reason).toContain('ATR 3.000001%');
    expect(above.reason).toContain('above maximum 3%');
  });

  it('below the band: names the minimum and the band', () => {
    const v = verdict(vol(0.1, 42, 'low'));
    expect(v.allow).toBe(false);
    expect(v.reason).toBe('block: ATR 0.1% (ATR 42, band low) below minimum 0.15% of the allowed band [0.15%, 3%]');
    expect(v.rationale).toContain('below minimum 0.15%');
  });

  it('above the band: names the maximum', () => {
    const v = verdict(vol(4.25, 2000, 'high'));
    expect(v.allow).toBe(false);
    expect(v.reason).toBe('block: ATR 4.25% (ATR 2000, band high) above maximum 3% of the allowed band [0.15%, 3%]');
  });

  it('prints figures without float noise', () => {
    expect(verdict(vol(0.1 + 0.2)).reason).toContain('ATR 0.3% (ATR 100, band normal)');
  });

  it('zero ATR (flat market) is blocked as too quiet', () => {
    expect(verdict(vol(0, 0, 'low')).allow).toBe(false);
  });

  it('custom params move the band; min == max allows exactly that value only', () => {
    const p = manifest.params.parse({ min_atr_pct: 0.5, max_atr_pct: 0.5 });
    expect(verdict(vol(0.5), p).allow).toBe(true);
    expect(verdict(vol(0.5), p).reason).toContain('[0.5%, 0.5%]');
    expect(verdict(vol(0.49), p).allow).toBe(false);
    expect(verdict(vol(0.51), p).allow).toBe(false);
    const wide = manifest.params.parse({ min_atr_pct: 0, max_atr_pct: 10 });
    expect(verdict(vol(0, 0, 'low'), wide).allow).toBe(true);
    expect(verdict(vol(9.9), wide).allow).toBe(true);
  });

  it('params: defaults, strict, min <= max, ranges', () => {
    expect(params).toEqual({ min_atr_pct: 0.15, max_atr_pct: 3 });
    expect(manifest.params.safeParse({ min_atr_pct: 2, max_atr_pct: 1 }).success).toBe(false);
    expect(manifest.params.safeParse({ min_atr_pct: 4 }).success).toBe(false); // 4 > default max 3
    expect(manifest.params.safeParse({ min_atr_pct: -0.1 }).success).toBe(false);
    expect(manifest.params.safeParse({ max_atr_pct: 101 }).success).toBe(false);
    expect(manifest.params.safeParse({ max_atr_pct: '3' }).success).toBe(false);
    expect(manifest.params.safeParse({ extra: 1 }).success).toBe(false);
    expect(manifest.params.safeParse({ min_atr_pct: 1, max_atr_pct: 1 }).success).toBe(true);
  });

  it('is deterministic and does not mutate its view', () => {
    const view = { volatility: Object.freeze(vol(1.2)) };
    const a = run(view, params, sdk);
    const b = run(view, params, sdk);
    expect(a).toEqual(b);
    expect(view.volatility).toEqual(vol(1.2));
  });
});
