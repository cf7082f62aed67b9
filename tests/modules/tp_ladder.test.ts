import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/risk/tp_ladder_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

type Idea = ContextValue<'ideas'>[number];
type StopPlan = ContextValue<'stop_plan'>;
const params = manifest.params.parse({});
const sdk = { indicators };
const P = (over: Record<string, unknown>) => manifest.params.parse(over);
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
const stopPlan = (over: Partial<StopPlan> = {}): StopPlan => ({
  direction: 'long',
  entry: 100,
  stop: 96,
  method: 'atr 2.0x',
  ...over,
});

function exit(ideas: Idea[], sp: StopPlan, p = params) {
  const out = run({ ideas, stop_plan: sp }, p, sdk);
  expect(out.rationale.length).toBeGreaterThan(0);
  const ep = out.outputs.exit_plan;
  return { plan: ep === undefined ? undefined : contextKeys.exit_plan.schema.parse(ep), rationale: out.rationale };
}

describe('tp_ladder_v1', () => {
  it('long: R = 100 - 96 = 4; rungs at 1.5R = 106 and 3R = 112, half each; breakeven after 1; 48-bar time stop', () => {
    const { plan, rationale } = exit([idea()], stopPlan());
    expect(plan).toEqual({
      take_profits: [
        { price: 106, fraction: 0.5 },
        { price: 112, fraction: 0.5 },
      ],
      breakeven_after_tp: 1,
      time_stop_bars: 48,
    });
    expect(rationale).toBe(
      'Exit plan: long entry 100.00, stop 96.00 (atr 2.0x), R = 4.00; take-profits 50.0% at 1.5R = 106.00, 50.0% at 3R = 112.00; ' +
        'stop to breakeven after 1 take-profit(s); time stop after 48 bars without a target.',
    );
  });

  it("measures R from the stop plan, not the idea's own stop", () => {
    expect(exit([idea({ stop: 90 })], stopPlan({ stop: 98 })).plan!.take_profits.map((t) => t.price)).toEqual([
      103, 106,
    ]);
  });

  it('short: rungs below entry (50, stop 52, R 2: 1R = 48, 2R = 46, 4R = 42) with custom fractions', () => {
    const p = P({ r_multiples: [1, 2, 4], fractions: [0.25, 0.25, 0.5], breakeven_after_tp: 2, time_stop_bars: null });
    const s = idea({ direction: 'short', entry: 50, stop: 52, targets: [44] });
    const { plan, rationale } = exit([s], stopPlan({ direction: 'short', entry: 50, stop: 52 }), p);
    expect(plan).toEqual({
      take_profits: [
        { price: 48, fraction: 0.25 },
        { price: 46, fraction: 0.25 },
        { price: 42, fraction: 0.5 },
      ],
      breakeven_after_tp: 2,
      time_stop_bars: null,
    });
    expect(rationale).toContain('no time stop');
  });

  it('breakeven null and 0 are passed through and described', () => {
    expect(exit([idea()], stopPlan(), P({ breakeven_after_tp: null })).rationale).toContain(
      'stop never moved to breakeven',
    );
    const zero = exit([idea()], stopPlan(), P({ breakeven_after_tp: 0 }));
    expect(zero.plan!.breakeven_after_tp).toBe(0);
    expect(zero.rationale).toContain('stop at breakeven from the start');
  });

  it('a short rung at or below price 0 gives no plan (entry 10, stop 15, 2R = 0)', () => {
    const s = idea({ direction: 'short', entry: 10, stop: 15, targets: [5] });
    const r = exit(
      [s],
      stopPlan({ direction: 'short', entry: 10, stop: 15 }),
      P({ r_multiples: [1, 2], fractions: [0.5, 0.5] }),
    );
    expect(r.plan).toBeUndefined();
    expect(r.rationale).toContain('the 2R target 0.00 is not a positive price');
  });

  it('no idea, a stop plan for another idea, or a stop on the wrong side: no plan', () => {
    expect(exit([], stopPlan()).rationale).toBe('No exit plan: there is no idea.');
    expect(exit([idea({ entry: 101 })], stopPlan()).rationale).toContain('is not for the best idea');
    expect(exit([idea()], stopPlan({ direction: 'short', stop: 104 })).rationale).toContain('is not for the best idea');
    // the best idea (score 0.9) is the one at 200: a plan for the 100 idea does not match
    expect(exit([idea(), idea({ entry: 200, score: 0.9 })], stopPlan()).plan).toBeUndefined();
    expect(exit([idea()], stopPlan({ stop: 101 })).rationale).toContain('not on the loss side');
  });

  it('is deterministic', () => {
    const v = { ideas: [idea()], stop_plan: stopPlan() };
    expect(run(v, params, sdk)).toEqual(run(v, params, sdk));
  });

  it('params: defaults and validation (fractions sum to 1, one per rung, increasing R, breakeven within the ladder)', () => {
    expect(params).toEqual({ r_multiples: [1.5, 3], fractions: [0.5, 0.5], breakeven_after_tp: 1, time_stop_bars: 48 });
    const bad = [
      { fractions: [0.5, 0.6] },
      { fractions: [1] }, // one fraction for two rungs
      { r_multiples: [3, 1.5] },
      { r_multiples: [1.5, 1.5] },
      { r_multiples: [0, 3] },
      { breakeven_after_tp: 3 }, // only 2 rungs
      { time_stop_bars: 0 },
      { time_stop_bars: 1.5 },
      { tp: 1 },
    ];
    for (const b of bad) expect(manifest.params.safeParse(b).success, JSON.stringify(b)).toBe(false);
    expect(manifest.params.safeParse({ r_multiples: [2], fractions: [1], breakeven_after_tp: null }).success).toBe(
      true,
    );
  });

  it('property: rungs are r x R beyond entry, in order, fractions sum to 1', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 0.001, max: 0.05, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }),
        (isLong, entry, stopFrac, rs) => {
          const sign = isLong ? 1 : -1;
          const r_multiples = [...rs].sort((a, b) => a - b);
          const fractions = r_multiples.map(() => 1 / r_multiples.length);
          const dir = isLong ? 'long' : 'short';
          const sp = stopPlan({ direction: dir, entry, stop: entry * (1 - sign * stopFrac) });
          const { plan } = exit(
            [idea({ direction: dir, entry })],
            sp,
            P({ r_multiples, fractions, breakeven_after_tp: null }),
          );
          const R = sign * (sp.entry - sp.stop);
          expect(plan!.take_profits).toHaveLength(r_multiples.length);
          plan!.take_profits.forEach((t, i) => {
            expect(t.price).toBeCloseTo(entry + sign * r_multiples[i]! * R, 6);
            if (i > 0) expect(sign * (t.price - plan!.take_profits[i - 1]!.price)).toBeGreaterThan(0);
          });
          expect(plan!.take_profits.reduce((s, t) => s + t.fraction, 0)).toBeCloseTo(1, 9);
        },
      ),
    );
  });
});
