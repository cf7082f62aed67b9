import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/risk/atr_stop_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

type Idea = ContextValue<'ideas'>[number];
const params = manifest.params.parse({});
const sdk = { indicators };
const P = (over: Record<string, unknown>) => manifest.params.parse(over);
const vol = (atr: number): ContextValue<'volatility'> => ({ atr, atr_pct: atr, band: 'normal' });
const idea = (over: Partial<Idea> = {}): Idea => ({
  direction: 'long',
  entry: 100,
  stop: 95,
  targets: [110],
  rr: 2,
  score: 0.5,
  confirmations: ['a'],
  ...over,
});

function plan(ideas: Idea[], atr: number, p = params) {
  const out = run({ ideas, volatility: vol(atr) }, p, sdk);
  expect(out.rationale.length).toBeGreaterThan(0);
  const sp = out.outputs.stop_plan;
  return { plan: sp === undefined ? undefined : contextKeys.stop_plan.schema.parse(sp), rationale: out.rationale };
}

describe('atr_stop_v1', () => {
  it("'wider' (default): ATR stop 100 - 2 x 3 = 94 replaces the closer idea stop 95", () => {
    const { plan: sp, rationale } = plan([idea()], 3);
    expect(sp).toEqual({
      direction: 'long',
      entry: 100,
      stop: 94,
      method: 'atr 2.0x (wider than the idea stop 95.00)',
    });
    expect(rationale).toContain('atr 2.0x = 2 x ATR 3.00 = 6.00 from entry -> 94.00');
  });

  it("'wider' keeps the idea's own stop when it is wider (2 x 2 = 4 < 5)", () => {
    expect(plan([idea()], 2).plan).toEqual({
      direction: 'long',
      entry: 100,
      stop: 95,
      method: 'idea stop (wider than atr 2.0x)',
    });
  });

  it('boundary: equal distances use the ATR stop (same price either way)', () => {
    expect(plan([idea()], 2.5).plan!.stop).toBe(95);
    expect(plan([idea()], 2.5).plan!.method).toContain('atr 2.0x');
  });

  it('short: stop = entry + atr_mult x ATR (50 + 1.5 x 2 = 53) when wider than the idea stop 52', () => {
    const s = idea({ direction: 'short', entry: 50, stop: 52, targets: [44] });
    expect(plan([s], 2, P({ atr_mult: 1.5 })).plan).toEqual({
      direction: 'short',
      entry: 50,
      stop: 53,
      method: 'atr 1.5x (wider than the idea stop 52.00)',
    });
    expect(plan([s], 1, P({ atr_mult: 1.5 })).plan!.stop).toBe(52); // 51.5 is tighter: keep 52
  });

  it("'atr_only' always uses ATR (tighter too); 'idea_only' always the idea's stop", () => {
    expect(plan([idea()], 1, P({ mode: 'atr_only' })).plan).toMatchObject({
      stop: 98,
      method: 'atr 2.0x (mode atr_only)',
    });
    expect(plan([idea()], 10, P({ mode: 'idea_only' })).plan).toMatchObject({
      stop: 95,
      method: 'idea stop (mode idea_only)',
    });
  });

  it('an idea stop on the wrong side never wins in wider mode; in idea_only it gives no plan', () => {
    const bad = idea({ stop: 101 });
    expect(plan([bad], 1).plan!.stop).toBe(98);
    const r = plan([bad], 1, P({ mode: 'idea_only' }));
    expect(r.plan).toBeUndefined();
    expect(r.rationale).toContain('is not on the loss side');
  });

  it('ATR 0 in atr_only, or a stop at or below 0, gives no plan with the reason', () => {
    const zero = plan([idea()], 0, P({ mode: 'atr_only' }));
    expect(zero.plan).toBeUndefined();
    expect(zero.rationale).toContain('not on the loss side');
    const neg = plan([idea()], 60); // 100 - 120 = -20
    expect(neg.plan).toBeUndefined();
    expect(neg.rationale).toContain('not a positive price');
  });

  it('uses the best-scored idea, ties broken by rr', () => {
    const a = idea({ score: 0.9, entry: 200, stop: 190 });
    const b = idea({ score: 0.5, entry: 100 });
    expect(plan([b, a], 1).plan!.entry).toBe(200);
    const c = idea({ score: 0.9, rr: 3, entry: 300, stop: 290 });
    expect(plan([b, a, c], 1).plan!.entry).toBe(300);
  });

  it('no idea: no plan', () => {
    const r = plan([], 1);
    expect(r.plan).toBeUndefined();
    expect(r.rationale).toBe('No stop plan: there is no idea.');
  });

  it('is deterministic', () => {
    const v = { ideas: [idea()], volatility: vol(3) };
    expect(run(v, params, sdk)).toEqual(run(v, params, sdk));
  });

  it('params: defaults and validation', () => {
    expect(params).toEqual({ atr_mult: 2, mode: 'wider' });
    expect(manifest.params.safeParse({ atr_mult: 0 }).success).toBe(false);
    expect(manifest.params.safeParse({ mode: 'tighter' }).success).toBe(false);
    expect(manifest.params.safeParse({ mult: 2 }).success).toBe(false);
  });

  it("property: in 'wider' mode the stop is never closer than either the idea's or the ATR distance", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 0.001, max: 0.4, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.double({ min: 0.1, max: 2, noNaN: true }),
        (isLong, entry, stopFrac, atrFrac, mult) => {
          const sign = isLong ? 1 : -1;
          const i = idea({ direction: isLong ? 'long' : 'short', entry, stop: entry * (1 - sign * stopFrac) });
          const { plan: sp } = plan([i], entry * atrFrac, P({ atr_mult: mult }));
          expect(sp).toBeDefined(); // both candidates are valid: the wider one is too (stopFrac, mult x atrFrac < 0.5)
          const dist = sign * (sp!.entry - sp!.stop);
          expect(dist).toBeGreaterThanOrEqual(entry * stopFrac * (1 - 1e-12));
          expect(dist).toBeGreaterThanOrEqual(mult * entry * atrFrac * (1 - 1e-12));
        },
      ),
    );
  });
});
