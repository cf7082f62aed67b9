import type { Rng } from './rng.ts';
import { normalCdf } from './normal.ts';
import { encode, type Dimension } from './space.ts';

/**
 * One dimension's Parzen density over its unit coordinate, from the values of a group of
 * trials: the TPE sampler's building block (samplers.ts).
 *
 * Numbers: a mixture of normals truncated to [0, 1], one per observed value plus a wide prior
 * (centre 0.5, sigma 1) that keeps every region possible; each observation's width is the
 * larger gap to its neighbours, clipped to
 * [1 / min(100, n + 1), 1], as Optuna does (the prior's centre counts as a neighbour, the
bounds do not), so dense regions get narrow kernels.
 * Choices: the share of each choice among the observations, with one pseudo-count each.
 */
export interface Parzen {
  sample(rng: Rng): number;
  logDensity(u: number): number;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

export function parzen(d: Dimension, values: readonly (string | number | boolean)[]): Parzen {
  if (d.kind === 'choice')
    return categorical(
      d.values.length,
      values.map((v) => d.values.indexOf(v)),
    );
  return mixture(values.map((v) => encode(d, v)));
}

function categorical(k: number, indexes: readonly number[]): Parzen {
  const weights = Array.from({ length: k }, () => 1);
  for (const i of indexes) if (i >= 0) weights[i]! += 1;
  const total = weights.reduce((a, b) => a + b, 0);
  const at = (u: number) => Math.min(k - 1, Math.max(0, Math.floor(u * k)));
  return {
    sample(rng) {
      let r = rng.next() * total;
      for (let i = 0; i < k; i++) {
        r -= weights[i]!;
        if (r < 0) return (i + 0.5) / k;
      }
      return (k - 0.5) / k;
    },
    logDensity: (u) => Math.log(weights[at(u)]! / total),
  };
}

function mixture(points: readonly number[]): Parzen {
  const mus = [...points.map((p) => Math.min(1, Math.max(0, p))), 0.5];
  const prior = mus.length - 1;
  // Neighbours in sorted order, the prior's centre among them; an outermost point's width is its one inner gap.
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const minSigma = 1 / Math.min(100, points.length + 1);
  const sigmas = mus.map(() => 1);
  order.forEach((idx, rank) => {
    if (idx === prior) return;
    const left = rank > 0 ? mus[idx]! - mus[order[rank - 1]!]! : 0;
    const right = rank < order.length - 1 ? mus[order[rank + 1]!]! - mus[idx]! : 0;
    sigmas[idx] = Math.min(1, Math.max(minSigma, left, right));
  });
  // Each kernel's mass inside [0, 1], to renormalise the truncated normal.
  const mass = mus.map((mu, i) => Math.max(1e-12, normalCdf((1 - mu) / sigmas[i]!) - normalCdf(-mu / sigmas[i]!)));
  const w = 1 / mus.length;
  return {
    sample(rng) {
      const i = rng.int(mus.length);
      for (let tries = 0; tries < 32; tries++) {
        const x = mus[i]! + sigmas[i]! * rng.normal();
        if (x >= 0 && x <= 1) return x;
      }
      return mus[i]!;
    },
    logDensity(u) {
      let p = 0;
      for (let i = 0; i < mus.length; i++) {
        const z = (u - mus[i]!) / sigmas[i]!;
        p += (w * Math.exp(-0.5 * z * z - LOG_SQRT_2PI)) / (sigmas[i]! * mass[i]!);
      }
      return Math.log(Math.max(p, 1e-300));
    },
  };
}
