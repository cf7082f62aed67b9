import { seededRng, type Rng } from './rng.ts';
import { decode, type Dimension, type Point, type Space } from './space.ts';
import { parzen } from './parzen.ts';

/** A finished trial as a sampler sees it: where it was, and its score (higher is better; null: infeasible). */
export interface Observation {
  point: Point;
  value: number | null;
}

/**
 * Proposes the points of trials `numbers` (0-based trial numbers) from the trials finished
 * before them. A sampler is a pure function of its seed, the numbers and that history, so
 * the same seed and batch size give the same study trial for trial, and a resumed study
 * proposes exactly what the killed one would have.
 */
export interface Sampler {
  readonly method: 'grid' | 'random' | 'tpe';
  ask(history: readonly Observation[], numbers: readonly number[]): Point[];
}

/** Trial n's own generator: it depends on the seed and n alone, not on how many numbers were drawn before. */
const trialRng = (seed: number, n: number): Rng => seededRng((Math.imul(seed >>> 0, 0x9e3779b1) ^ (n + 1)) >>> 0);

const entries = (space: Space): [string, Dimension][] => [...space.entries()].sort(([a], [b]) => a.localeCompare(b));

function randomPoint(dims: [string, Dimension][], rng: Rng): Point {
  const p: Point = {};
  for (const [name, d] of dims) p[name] = decode(d, rng.next());
  return p;
}

export function randomSampler(space: Space, seed: number): Sampler {
  const dims = entries(space);
  return { method: 'random', ask: (_h, numbers) => numbers.map((n) => randomPoint(dims, trialRng(seed, n))) };
}

/** The values a grid visits on one dimension: every integer or choice when there are at most `levels`, else `levels` evenly spaced. */
function gridValues(d: Dimension, levels: number): (string | number | boolean)[] {
  if (d.kind === 'choice') return [...d.values];
  if (d.kind === 'int' && d.high - d.low + 1 <= levels)
    return Array.from({ length: d.high - d.low + 1 }, (_, i) => d.low + i);
  const vals = Array.from({ length: levels }, (_, i) => decode(d, levels === 1 ? 0.5 : i / (levels - 1)));
  return [...new Set(vals)];
}

/** Grid search: trial n is the n-th point of the grid (mixed radix, dimensions in name order). */
export function gridSampler(space: Space, levels: number): Sampler & { size: number } {
  const axes = entries(space).map(([name, d]) => [name, gridValues(d, levels)] as const);
  const size = axes.reduce((n, [, v]) => n * v.length, 1);
  return {
    method: 'grid',
    size,
    ask: (_h, numbers) =>
      numbers.map((n) => {
        const p: Point = {};
        let rest = n % size;
        for (const [name, values] of axes) {
          p[name] = values[rest % values.length]!;
          rest = Math.floor(rest / values.length);
        }
        return p;
      }),
  };
}

export interface TpeOptions {
  /** Random trials before the model is used. */
  startup: number;
  /** Candidates drawn from the good model per proposal; the best ratio wins. */
  candidates: number;
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al., 2011), as Optuna's default sampler does
 * it: the finished trials are split into the best few (`good`: the top 10 %, at most 25) and
 * the rest (infeasible ones always among the rest); each dimension gets a Parzen density of
 * each group; a proposal is the candidate, drawn from the good density, with the highest
 * good-to-rest density ratio. Dimensions are modelled independently.
 */
export function tpeSampler(space: Space, seed: number, o: TpeOptions = { startup: 10, candidates: 24 }): Sampler {
  const dims = entries(space);
  return {
    method: 'tpe',
    ask(history, numbers) {
      const feasible = history.filter((h) => h.value !== null).sort((a, b) => b.value! - a.value!);
      return numbers.map((n) => {
        const rng = trialRng(seed, n);
        if (feasible.length < Math.max(2, o.startup) || n < o.startup) return randomPoint(dims, rng);
        const nGood = Math.min(25, Math.max(1, Math.ceil(0.1 * feasible.length)));
        const good = feasible.slice(0, nGood);
        const rest = [...feasible.slice(nGood), ...history.filter((h) => h.value === null)];
        const models = dims.map(([name, d]) => ({
          name,
          d,
          good: parzen(
            d,
            good.map((h) => h.point[name]!),
          ),
          rest: parzen(
            d,
            rest.map((h) => h.point[name]!),
          ),
        }));
        let best: { u: number[]; score: number } | null = null;
        for (let c = 0; c < o.candidates; c++) {
          const u = models.map((m) => m.good.sample(rng));
          const score = models.reduce((s, m, i) => s + m.good.logDensity(u[i]!) - m.rest.logDensity(u[i]!), 0);
          if (!best || score > best.score) best = { u, score };
        }
        const p: Point = {};
        models.forEach((m, i) => (p[m.name] = decode(m.d, best!.u[i]!)));
        return p;
      });
    },
  };
}
