import { realBreakout } from '../helpers/module-views.ts';
import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/confluence/n_of_m_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';

type Signal = ContextValue<'signals'>[number];
const params = manifest.params.parse({});
const sdk = { indicators };

function ideas(signals: Signal[], p = params) {
  const out = run({ signals }, p, sdk);
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

describe('n_of_m_v1', () => {
  it('turns the real 2024-01-26 10:00 breakout signal into an idea with the same levels', () => {
    const sig = realBreakout().signals;
    expect(sig).toHaveLength(1);
    const { list } = ideas([{ ...sig[0]!, source: 'breakout_v1' }]);
    expect(list).toHaveLength(1);
    const idea = list[0]!;
    expect(idea).toMatchObject({
      direction: 'long',
      entry: sig[0]!.entry,
      stop: sig[0]!.stop,
      targets: sig[0]!.targets,
      confirmations: ['breakout_v1'],
    });
    expect(idea.rr).toBeCloseTo(2, 9);
    expect(idea.score).toBeCloseTo(sig[0]!.confidence, 12);
  });

  it('averages entries, takes the widest stop and the best-rr targets, recomputes rr and scores', () => {
    const a = long({ source: 'a', entry: 100, stop: 96, targets: [108], rr: 2, confidence: 0.8 });
    const b = long({ source: 'b', entry: 102, stop: 94, targets: [118, 126], rr: 2, confidence: 0.4 });
    const c = long({ source: 'c', entry: 101, stop: 97, targets: [113], rr: 3, confidence: 0.6 });
    const { list, rationale } = ideas([a, b, c]);
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i.entry).toBe(101); // (100 + 102 + 101) / 3
    expect(i.stop).toBe(94); // widest long stop
    expect(i.targets).toEqual([113]); // from c, rr 3
    expect(i.rr).toBeCloseTo((113 - 101) / (101 - 94), 12); // 12 / 7 = 1.714
    expect(i.score).toBeCloseTo((3 / 3) * 0.6, 12);
    expect(i.confirmations).toEqual(['a', 'b', 'c']);
    expect(rationale).toContain('3/3 long');
  });

  it('shorts: the widest stop is the highest one, targets sorted nearest first', () => {
    const s1: Signal = { direction: 'short', setup: 'x', entry: 50, stop: 52, targets: [44, 46], rr: 2, confidence: 1 };
    const s2: Signal = { direction: 'short', setup: 'y', entry: 50, stop: 53, targets: [47], rr: 1, confidence: 0.5 };
    const i = ideas([s1, s2], { ...params, min_rr: 1.3 }).list[0]!;
    expect(i).toMatchObject({ direction: 'short', entry: 50, stop: 53, targets: [46, 44], confirmations: ['x', 'y'] });
    expect(i.rr).toBeCloseTo(4 / 3, 12);
    // rr (50 - 46) / (53 - 50) = 1.33 < default 1.5 -> rejected
    expect(ideas([s1, s2]).list).toHaveLength(0);
  });

  it('rejects a low reward:risk and says why with the numbers', () => {
    const r = ideas([long({ entry: 100, stop: 90, targets: [112], rr: 1.2 })]);
    expect(r.list).toEqual([]);
    expect(r.rationale).toMatch(/^No idea: rr 1\.20 < min_rr 1\.5/);
  });

  it('conflicting directions give no idea', () => {
    const r = ideas([long(), { ...long(), direction: 'short', stop: 105, targets: [90] }]);
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe('No idea: conflicting signals, 1 long and 1 short.');
  });

  it('no signals, or fewer than min_signals agreeing, give no idea', () => {
    expect(ideas([]).rationale).toBe('No idea: no agent produced a signal.');
    const r = ideas([long()], { ...params, min_signals: 2 });
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe('No idea: 1 long signal(s), need at least 2.');
  });

  it('out_of (M) lowers the score when fewer agents voted than expected', () => {
    const i = ideas([long({ confidence: 0.9 })], { ...params, out_of: 3 }).list[0]!;
    expect(i.score).toBeCloseTo(0.3, 12);
  });

  it('drops targets that are not beyond the averaged entry', () => {
    const a = long({ entry: 100, stop: 95, targets: [104], rr: 0.8 });
    const b = long({ entry: 110, stop: 100, targets: [104, 130], rr: 3 });
    const i = ideas([a, b]).list[0]!;
    expect(i.entry).toBe(105);
    expect(i.targets).toEqual([130]);
    expect(i.rr).toBeCloseTo(25 / 10, 12);
  });

  it('params: defaults and strictness', () => {
    expect(params).toEqual({ min_signals: 1, out_of: 0, min_rr: 1.5 });
    expect(manifest.params.safeParse({ min_signals: 0 }).success).toBe(false);
    expect(manifest.params.safeParse({ n: 1 }).success).toBe(false);
  });
});
