import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/confluence/weighted_score_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

type Signal = ContextValue<'signals'>[number];
const params = manifest.params.parse({});
const sdk = { indicators };
const P = (over: Record<string, unknown>) => manifest.params.parse(over);

function ideas(signals: Signal[], p = params) {
  const out = run({ signals }, p, sdk);
  expect(out.rationale.length).toBeGreaterThan(0);
  return { list: (out.outputs.ideas ?? []).map((i) => contextKeys.ideas.schema.parse(i)), rationale: out.rationale };
}

const long = (over: Partial<Signal> = {}): Signal => ({
  source: 'a',
  direction: 'long',
  setup: 's',
  entry: 100,
  stop: 95,
  targets: [110, 115],
  rr: 2,
  confidence: 0.6,
  ...over,
});
const short = (over: Partial<Signal> = {}): Signal => ({
  source: 'z',
  direction: 'short',
  setup: 's',
  entry: 100,
  stop: 105,
  targets: [90],
  rr: 2,
  confidence: 0.6,
  ...over,
});

describe('weighted_score_v1', () => {
  it('score = Σ weight x confidence / Σ weights, with per-source and default weights', () => {
    const a = long({ source: 'a', entry: 100, stop: 96, targets: [108], rr: 2, confidence: 0.8 });
    const b = long({ source: 'b', entry: 102, stop: 94, targets: [118, 126], rr: 2, confidence: 0.4 });
    const c = long({ source: 'c', entry: 101, stop: 97, targets: [113], rr: 3, confidence: 0.6 });
    // weights a=3, b=1 (listed), c = default 0.5: (3x0.8 + 1x0.4 + 0.5x0.6) / (3 + 1 + 0.5) = 3.1 / 4.5
    const { list, rationale } = ideas([a, b, c], P({ weights: { a: 3, b: 1 }, default_weight: 0.5 }));
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i.score).toBeCloseTo(3.1 / 4.5, 12);
    expect(i.entry).toBe(101); // mean of 100, 102, 101
    expect(i.stop).toBe(94); // widest long stop
    expect(i.targets).toEqual([113]); // c has the best rr
    expect(i.rr).toBeCloseTo(12 / 7, 12);
    expect(i.confirmations).toEqual(['a', 'b', 'c']);
    expect(rationale).toContain('score 0.689 = (3.00x0.800 (a) + 1.00x0.400 (b) + 0.50x0.600 (c)) / total weight 4.50');
  });

  it('equal weights reduce to the mean confidence; the setup names a source without a module id', () => {
    const { list } = ideas([
      long({ source: undefined, setup: 'x', confidence: 0.9 }),
      long({ source: undefined, setup: 'y', confidence: 0.5 }),
    ]);
    expect(list[0]!.score).toBeCloseTo(0.7, 12);
    expect(list[0]!.confirmations).toEqual(['x', 'y']);
  });

  it("on_conflict 'reject' (default) gives no idea on any conflict", () => {
    const r = ideas([long(), short()]);
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe("No idea: conflicting signals, 1 long and 1 short (on_conflict 'reject').");
  });

  it("on_conflict 'weighted': the heavier side wins and the loser's weight lowers the score", () => {
    const p = P({ on_conflict: 'weighted', weights: { a: 2, z: 1 } });
    // long mass 2 x 0.6 = 1.2 > short mass 1 x 0.9 = 0.9 -> long, score 1.2 / 3 = 0.4
    const { list, rationale } = ideas([long({ source: 'a' }), short({ source: 'z', confidence: 0.9 })], p);
    expect(list).toHaveLength(1);
    expect(list[0]!.direction).toBe('long');
    expect(list[0]!.score).toBeCloseTo(0.4, 12);
    expect(list[0]!.confirmations).toEqual(['a']);
    expect(rationale).toContain('long 1.200 vs short 0.900');
    // flip the weights: short mass 2 x 0.9 = 1.8 > 0.6 -> short, score 1.8 / 3 = 0.6
    const s = ideas(
      [long({ source: 'a' }), short({ source: 'z', confidence: 0.9 })],
      P({ on_conflict: 'weighted', weights: { a: 1, z: 2 } }),
    );
    expect(s.list[0]!.direction).toBe('short');
    expect(s.list[0]!.score).toBeCloseTo(0.6, 12);
    // equal masses: no idea
    const tie = ideas([long({ confidence: 0.5 }), short({ confidence: 0.5 })], P({ on_conflict: 'weighted' }));
    expect(tie.list).toEqual([]);
    expect(tie.rationale).toContain('equal weight');
  });

  it('weight 0 mutes a source, also for conflicts; all muted gives no idea', () => {
    const { list, rationale } = ideas([long({ source: 'a' }), short({ source: 'z' })], P({ weights: { z: 0 } }));
    expect(list).toHaveLength(1);
    expect(list[0]!.score).toBeCloseTo(0.6, 12);
    expect(rationale).toContain('1 signal(s) from weight-0 sources ignored');
    const r = ideas([long({ source: 'a' })], P({ default_weight: 0 }));
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('every signal comes from a source with weight 0');
  });

  it('an inherited object key is not a weight: "constructor" gets the default weight', () => {
    const { list } = ideas(
      [long({ source: 'constructor', confidence: 0.8 }), long({ source: 'b', confidence: 0.2 })],
      P({ weights: { b: 3 } }),
    );
    expect(list[0]!.score).toBeCloseTo((1 * 0.8 + 3 * 0.2) / 4, 12);
  });

  it('rejects below min_score and below min_rr with the reason; boundaries are inclusive', () => {
    const low = ideas([long({ confidence: 0.29 })]);
    expect(low.list).toEqual([]);
    expect(low.rationale).toMatch(/^No idea: score 0\.290 < min_score 0\.3 \(/);
    expect(ideas([long({ confidence: 0.3 })]).list).toHaveLength(1); // score exactly 0.3
    const rr = ideas([long({ entry: 100, stop: 90, targets: [114.9] })]);
    expect(rr.list).toEqual([]);
    expect(rr.rationale).toMatch(/^No idea: rr 1\.49 < min_rr 1\.5 \(/);
    expect(ideas([long({ entry: 100, stop: 90, targets: [115] })]).list[0]!.rr).toBe(1.5); // exactly min_rr
    const both = ideas([long({ confidence: 0.1, entry: 100, stop: 90, targets: [110] })]);
    expect(both.rationale).toMatch(/^No idea: score 0\.100 < min_score 0\.3; rr 1\.00 < min_rr 1\.5/);
  });

  it('shorts: highest stop, targets nearest first, dropped when not beyond the mean entry', () => {
    const s1 = short({ source: 'p', entry: 50, stop: 52, targets: [44, 46], rr: 2, confidence: 1 });
    const s2 = short({ source: 'q', entry: 50, stop: 53, targets: [47], rr: 1, confidence: 0.5 });
    const i = ideas([s1, s2], P({ min_rr: 1.3 })).list[0]!;
    expect(i).toMatchObject({ direction: 'short', entry: 50, stop: 53, targets: [46, 44] });
    expect(i.rr).toBeCloseTo(4 / 3, 12);
    const wrong = ideas([short({ entry: 100, stop: 105, targets: [101] })]);
    expect(wrong.list).toEqual([]);
    expect(wrong.rationale).toContain('are not beyond the mean entry');
  });

  it('no signals, or a widest stop on the wrong side, give no idea', () => {
    expect(ideas([]).rationale).toBe('No idea: no agent produced a signal.');
    expect(ideas([long({ stop: 101 })]).rationale).toContain('is not on the loss side');
  });

  it('is deterministic and does not mutate its input', () => {
    const sigs = [long({ source: 'a' }), long({ source: 'b', entry: 104, stop: 97, targets: [120], rr: 3 })];
    const copy = structuredClone(sigs);
    const p = P({ weights: { a: 2 } });
    expect(run({ signals: sigs }, p, sdk)).toEqual(run({ signals: sigs }, p, sdk));
    expect(sigs).toEqual(copy);
  });

  it('params: defaults and validation', () => {
    expect(params).toEqual({ weights: {}, default_weight: 1, min_score: 0.3, min_rr: 1.5, on_conflict: 'reject' });
    expect(manifest.params.safeParse({ weights: { a: -1 } }).success).toBe(false);
    expect(manifest.params.safeParse({ min_score: 1.1 }).success).toBe(false);
    expect(manifest.params.safeParse({ on_conflict: 'majority' }).success).toBe(false);
    expect(manifest.params.safeParse({ weight: 1 }).success).toBe(false);
  });

  it('property: score is in [0, 1] and equals the weighted formula; ideas are valid and never conflict-born in reject mode', () => {
    const sig = fc.record({
      source: fc.constantFrom('a', 'b', 'c', 'd'),
      long: fc.boolean(),
      entry: fc.double({ min: 1, max: 1000, noNaN: true }),
      stopFrac: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      tpFrac: fc.double({ min: 0.005, max: 0.9, noNaN: true }),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(sig, { minLength: 1, maxLength: 6 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.double({ min: 0, max: 5, noNaN: true })),
        fc.boolean(),
        (raw, weights, weightedMode) => {
          const signals: Signal[] = raw.map((r) => {
            const sign = r.long ? 1 : -1;
            const target = r.entry * (1 + sign * r.tpFrac); // a positive price on the profit side (the Signal schema requires > 0)
            return {
              source: r.source,
              direction: r.long ? 'long' : 'short',
              setup: 's',
              entry: r.entry,
              stop: r.entry * (1 - sign * r.stopFrac),
              targets: [target],
              rr: r.tpFrac / r.stopFrac,
              confidence: r.confidence,
            };
          });
          const p = P({ weights, min_score: 0, min_rr: 0, on_conflict: weightedMode ? 'weighted' : 'reject' });
          const { list } = ideas(signals, p);
          const w = (s: Signal) => (Object.hasOwn(weights, s.source!) ? weights[s.source!]! : 1);
          const live = signals.filter((s) => w(s) > 0);
          const dirs = new Set(live.map((s) => s.direction));
          if (!weightedMode && dirs.size > 1) expect(list).toEqual([]);
          for (const i of list) {
            const agree = live.filter((s) => s.direction === i.direction);
            const expected = agree.reduce((a, s) => a + w(s) * s.confidence, 0) / live.reduce((a, s) => a + w(s), 0);
            expect(i.score).toBeCloseTo(Math.min(1, expected), 9);
            expect(i.confirmations.every((c) => agree.some((s) => s.source === c))).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
