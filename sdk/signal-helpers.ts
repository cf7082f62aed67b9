import { z } from 'zod';
/**
 * Small pieces the signal agents (breakout_v1, breakout_retest_v1, trend_pullback_v1, fvg_v1,
 * mean_reversion_v1) all need: R-multiple targets, the "is this trade well-formed" check, the
 * half-and-half confidence blend and the not-enough-data wording. Shared so every agent states
 * targets and confidence the same way. Pure.
 */

/** The agent's `targets_r` param in ascending order (the first is the signal's rr). Copies, never sorts in place. */
export function sortedR(targetsR: readonly number[]): number[] {
  return [...targetsR].sort((a, b) => a - b);
}

/** Take-profit prices at each R multiple: entry + sign x r x risk (sign +1 long, -1 short). */
export function rTargets(entry: number, sign: number, risk: number, rs: readonly number[]): number[] {
  return rs.map((r) => entry + sign * r * risk);
}

/** "2R, 3R" style list of R multiples, as agents print it. */
export function rMultiplesText(rs: readonly number[]): string {
  return `${rs.join('R, ')}R`;
}

/** A trade is well-formed when the risk is positive and the stop and every target are positive prices. */
export function riskAndTargetsValid(risk: number, stop: number, targets: readonly number[]): boolean {
  return risk > 0 && stop > 0 && targets.every((t) => t > 0);
}

/** How far the trend strength goes toward "full": ADX / fullAdx, at most 1. */
export function adxScore(adx: number, fullAdx: number): number {
  return Math.min(1, adx / fullAdx);
}

/** Confidence as an equal blend of two 0..1 scores, clamped to 0..1. */
export function blendHalves(a: number, b: number): number {
  return Math.min(1, Math.max(0, 0.5 * a + 0.5 * b));
}

/** "not enough data: need N candles, have M (detail)": the wording every module uses for short history. */
export function notEnoughData(need: number, have: number, detail?: string): string {
  return `not enough data: need ${need} candles, have ${have}${detail ? ` (${detail})` : ''}`;
}

/**
 * Param schemas several agents declare identically. Shared so their documented ranges and defaults
 * cannot drift; an agent whose param differs keeps its own.
 */
export const agentParams = {
  /** take-profit targets as R multiples (default 2R and 3R) */
  targetsR: (description = 'take-profit targets as multiples of the risk R = |entry - stop|') =>
    z.array(z.number().positive().max(50)).min(1).max(5).default([2, 3]).describe(description),
  /** ADX at which the trend half of the confidence is full */
  fullAdx: () =>
    z.number().positive().max(100).default(50).describe('ADX that earns the full trend half of the confidence'),
};

/** An agent's "no signal" result: an empty signal list and the reason, as "No signal: <why>.". */
export function noSignal(why: string): { outputs: { signals: never[] }; rationale: string } {
  return { outputs: { signals: [] }, rationale: `No signal: ${why}.` };
}
