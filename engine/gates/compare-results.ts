import { isDeepStrictEqual } from 'node:util';
import type { Evaluation } from './gate-harness.ts';

/**
 * When a module's result on a shorter history counts as "the same" as on the full one,
 * for the warm-up. Numbers are compared to a relative tolerance, because indicators seeded
 * on a shorter window converge but never match to the last bit, and that includes the
 * numbers in the rationale: a module whose outputs agree while its rationale says "not
 * enough data" (or prints another SMA) has not warmed up.
 */

/** What the warm-up promises: from it on, every number equals the full history's to this, at every bar. */
export const warmupTolerance = 1e-9;
/**
 * What the gate measures with at its sampled bars: 1,000 times stricter. A recursive
 * indicator's seed error decays geometrically with the bars behind it, so this margin
 * covers bars where the seed error is up to 1,000 times that of the sampled ones, at the
 * cost of ln(1000) ≈ 7 time constants more history (EMA 20: ~70 bars).
 */
export const measureTolerance = warmupTolerance / 1000;

function closeNumbers(a: number, b: number, tol: number): boolean {
  return a === b || Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b)) || (Number.isNaN(a) && Number.isNaN(b));
}

/** Equal values, numbers within `tol` relative. */
export function closeValues(a: unknown, b: unknown, tol: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return closeNumbers(a, b, tol);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => closeValues(x, b[i], tol));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return (
      isDeepStrictEqual(ka, Object.keys(b)) &&
      ka.every((k) => closeValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol))
    );
  }
  return a === b;
}

const numberToken = /(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)/i;

/** Equal texts, the numbers in them within `tol` relative. */
export function closeTexts(a: string, b: string, tol: number): boolean {
  if (a === b) return true;
  const pa = a.split(numberToken);
  const pb = b.split(numberToken);
  // split with a capture group alternates text (even) and number (odd) parts.
  return pa.length === pb.length && pa.every((p, i) => (i % 2 === 0 ? p === pb[i] : closeNumbers(+p, +pb[i]!, tol)));
}

/**
 * The same result for the warm-up: same status, outputs and rationale (or failure) close,
 * and the same indicator values read at the same bars (so a filter whose verdict happens
 * to agree while its EMA has not converged is not warmed up).
 */
export function sameResult(x: Evaluation, y: Evaluation, tol = measureTolerance): boolean {
  if (x.status !== y.status || !closeValues(x.indicatorValues, y.indicatorValues, tol)) return false;
  if (x.status !== 'ok') return x.text === y.text;
  return closeValues(x.outputs, y.outputs, tol) && closeTexts(x.rationale ?? '', y.rationale ?? '', tol);
}
