import { describe, expect, it } from 'vitest';
import { manifest as breakout } from '../../modules/agents/breakout_v1.ts';
import { manifest as trendVolatility } from '../../modules/context/trend_volatility_v1.ts';
import { gridSampler, randomSampler, tpeSampler, type Observation, type Sampler } from '../../optimise/samplers.ts';
import { decode, encode, moduleDimensions, narrowSpace, type Dimension, type Point } from '../../optimise/space.ts';
import { expectTraderError } from '../helpers/errors.ts';

/** Runs a sequential study of `budget` trials maximising f; returns the best value found. */
function study(sampler: Sampler, f: (p: Point) => number, budget: number): number {
  const history: Observation[] = [];
  for (let n = 0; n < budget; n++) {
    const [point] = sampler.ask(history, [n]);
    history.push({ point: point!, value: f(point!) });
  }
  return Math.max(...history.map((h) => h.value!));
}

const float = (low: number, high: number): Dimension => ({ kind: 'float', low, high, log: false });

/** Benchmark functions, negated to be maximised (optimum 0 for sphere and Rosenbrock, -0.397887 for Branin). */
const benchmarks: { name: string; space: Map<string, Dimension>; f: (p: Point) => number }[] = [
  {
    name: 'Branin (2-D)',
    space: new Map([
      ['x1', float(-5, 10)],
      ['x2', float(0, 15)],
    ]),
    f: (p) => {
      const [x1, x2] = [p.x1 as number, p.x2 as number];
      const b = 5.1 / (4 * Math.PI ** 2);
      return -((x2 - b * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10);
    },
  },
  {
    name: 'shifted sphere (4-D)',
    space: new Map(['a', 'b', 'c', 'd'].map((k) => [k, float(-5, 5)])),
    f: (p) => -['a', 'b', 'c', 'd'].reduce((s, k) => s + ((p[k] as number) - 1.3) ** 2, 0),
  },
  {
    name: 'Rosenbrock (2-D)',
    space: new Map([
      ['x', float(-2, 2)],
      ['y', float(-1, 3)],
    ]),
    f: (p) => -((1 - (p.x as number)) ** 2 + 100 * ((p.y as number) - (p.x as number) ** 2) ** 2),
  },
  {
    name: 'a strategy-like mix: two periods (integers) and a switch',
    space: new Map<string, Dimension>([
      ['fast', { kind: 'int', low: 2, high: 100, log: false }],
      ['slow', { kind: 'int', low: 10, high: 400, log: false }],
      ['with_trend', { kind: 'choice', values: [false, true] }],
    ]),
    f: (p) =>
      -Math.abs((p.fast as number) - 17) / 10 - Math.abs((p.slow as number) - 140) / 40 - (p.with_trend ? 0 : 1.5),
  },
];

describe('search methods', () => {
  it.each(benchmarks)('TPE beats random search on $name with a budget of 60 trials, over 20 seeds', ({ space, f }) => {
    const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
    const tpe = seeds.map((s) => study(tpeSampler(space, s), f, 60));
    const random = seeds.map((s) => study(randomSampler(space, s), f, 60));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(tpe)).toBeGreaterThan(mean(random));
    expect(tpe.filter((t, i) => t > random[i]!).length).toBeGreaterThanOrEqual(13);
  });

  it.each(['tpe', 'random'] as const)(
    '%s: the same seed gives the same study trial for trial; another seed another',
    (method) => {
      const { space, f } = benchmarks[3]!;
      const make = (seed: number) => (method === 'tpe' ? tpeSampler(space, seed) : randomSampler(space, seed));
      const run = (seed: number) => {
        const s = make(seed);
        const history: Observation[] = [];
        for (let n = 0; n < 40; n++) {
          const [point] = s.ask(history, [n]);
          history.push({ point: point!, value: f(point!) });
        }
        return history.map((h) => h.point);
      };
      expect(run(7)).toEqual(run(7));
      expect(run(8)).not.toEqual(run(7));
    },
  );

  it('a trial is proposed from its number and the history alone: asked in a batch or one by one, after a resume, the same point', () => {
    const { space, f } = benchmarks[0]!;
    const s = tpeSampler(space, 3);
    const history: Observation[] = [];
    for (let n = 0; n < 30; n++) {
      const [point] = s.ask(history, [n]);
      history.push({ point: point!, value: f(point!) });
    }
    const batch = s.ask(history, [30, 31, 32, 33]);
    const resumed = tpeSampler(space, 3);
    expect([30, 31, 32, 33].map((n) => resumed.ask(history, [n])[0])).toEqual(batch);
    expect(new Set(batch.map((p) => JSON.stringify(p))).size).toBe(4);
  });

  it('TPE converges with infeasible trials in its history and stops proposing where only infeasible ones were found', () => {
    const space = new Map([['x', float(0, 1)]]);
    const s = tpeSampler(space, 5);
    const history: Observation[] = [];
    for (let n = 0; n < 80; n++) {
      const [point] = s.ask(history, [n]);
      const x = point!.x as number;
      history.push({ point: point!, value: x > 0.6 ? null : -((x - 0.2) ** 2) });
    }
    // Random search would put 40 % of the trials beyond 0.6; the first 10 are random.
    expect(history.slice(0, 10).some((h) => h.value === null)).toBe(true);
    expect(history.slice(40).filter((h) => h.value === null).length).toBeLessThanOrEqual(4);
    expect(Math.max(...history.map((h) => h.value ?? -1))).toBeGreaterThan(-0.0004);
  });

  it('grid search visits every combination once, in a fixed order', () => {
    const space = new Map<string, Dimension>([
      ['n', { kind: 'int', low: 3, high: 5, log: false }],
      ['m', float(0, 1)],
      ['on', { kind: 'choice', values: [false, true] }],
    ]);
    const g = gridSampler(space, 3);
    expect(g.size).toBe(3 * 3 * 2);
    const points = g.ask(
      [],
      Array.from({ length: g.size }, (_, i) => i),
    );
    expect(new Set(points.map((p) => JSON.stringify(p))).size).toBe(18);
    expect(points[0]).toEqual({ m: 0, n: 3, on: false });
    expect(new Set(points.map((p) => p.m))).toEqual(new Set([0, 0.5, 1]));
    expect(gridSampler(space, 3).ask([], [17])).toEqual([points[17]]);
  });
});

describe('the search space from module manifests', () => {
  it("takes integers, bounded numbers and switches from a module's params schema, and leaves lists out", () => {
    const { dimensions, fixed } = moduleDimensions('breakout_v1', breakout.params);
    expect(dimensions.get('breakout_v1.lookback')).toEqual({ kind: 'int', low: 5, high: 500, log: false });
    expect(dimensions.get('breakout_v1.allow_short')).toEqual({ kind: 'choice', values: [false, true] });
    const stop = dimensions.get('breakout_v1.stop_atr_mult') as Extract<Dimension, { kind: 'float' }>;
    expect(stop.kind).toBe('float');
    expect(stop.low).toBeGreaterThan(0); // exclusive minimum 0: never 0 itself
    expect(stop.high).toBe(20);
    expect(fixed).toEqual(['breakout_v1.targets_r']);
    const tv = moduleDimensions('trend_volatility_v1', trendVolatility.params).dimensions;
    expect(tv.get('trend_volatility_v1.ema_fast')).toEqual({ kind: 'int', low: 2, high: 500, log: false });
  });

  it('a study narrows dimensions within their declared bounds, and refuses anything else with one sentence', async () => {
    const { dimensions } = moduleDimensions('breakout_v1', breakout.params);
    const narrowed = narrowSpace(dimensions, { 'breakout_v1.lookback': { low: 10, high: 60 } });
    expect([...narrowed.entries()]).toEqual([['breakout_v1.lookback', { kind: 'int', low: 10, high: 60, log: false }]]);
    const refused = (n: Parameters<typeof narrowSpace>[1], message: RegExp) =>
      expectTraderError(
        Promise.resolve().then(() => narrowSpace(dimensions, n)),
        'BAD_INPUT',
        message,
      );
    const within = /^The study's range for 'breakout_v1\.lookback' must lie within 5\.\.500/;
    await refused({ 'breakout_v1.lookback': { low: 1, high: 60 } }, within);
    await refused({ 'breakout_v1.lookback': { low: 60, high: 10 } }, within);
    await refused(
      { 'breakout_v1.lookback': { low: 10.5, high: 60 } },
      /and be whole numbers \(low <= high\); it says 10\.5\.\.60\.$/,
    );
    await refused(
      { 'breakout_v1.nope': { low: 1, high: 2 } },
      /names 'breakout_v1\.nope', which is not a searchable parameter/,
    );
    await refused({ 'breakout_v1.allow_short': { values: ['maybe'] } }, /must be a non-empty subset of \[false,true\]/);
  });

  it('decode and encode are inverse on every integer and choice, and integers get equal shares', () => {
    const d: Dimension = { kind: 'int', low: 2, high: 9, log: false };
    for (let v = 2; v <= 9; v++) expect(decode(d, encode(d, v))).toBe(v);
    const counts = new Map<number, number>();
    for (let i = 0; i < 8000; i++) {
      const v = decode(d, (i + 0.5) / 8000) as number;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.values()].every((c) => c === 1000)).toBe(true);
    const logD: Dimension = { kind: 'int', low: 1, high: 1000, log: true };
    for (const v of [1, 7, 100, 1000]) expect(decode(logD, encode(logD, v))).toBe(v);
    const c: Dimension = { kind: 'choice', values: ['a', 'b', 'c'] };
    for (const v of ['a', 'b', 'c']) expect(decode(c, encode(c, v))).toBe(v);
  });
});
