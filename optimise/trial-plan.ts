import type { Plan } from '../engine/plan/plan-types.ts';
import type { Point } from './space.ts';

/** A tie between two dimensions a study file declares, e.g. `breakout_v1.lookback < trend_pullback_v1.ema_period`. */
export interface Tie {
  left: string;
  op: '<' | '<=';
  right: string;
}

/** Splits a point's `<module_id>.<param>` names into per-module param overrides. */
export function pointParams(point: Readonly<Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(point)) {
    const dot = name.indexOf('.');
    (out[name.slice(0, dot)] ??= {})[name.slice(dot + 1)] = value;
  }
  return out;
}

/** Why a point breaks a tie, in one sentence; null when every tie holds. */
export function brokenTie(point: Point, ties: readonly Tie[]): string | null {
  for (const t of ties) {
    const a = point[t.left] as number;
    const b = point[t.right] as number;
    if (!(t.op === '<' ? a < b : a <= b)) return `${t.left} = ${a} is not ${t.op} ${t.right} = ${b}`;
  }
  return null;
}

/**
 * The plans a trial runs: each slot of a tuned module gets the point's values over its
 * planned params, checked by the module's own params schema. An invalid combination (a
 * schema refinement, a value the module refuses) comes back as a sentence and is never
 * backtested.
 */
export function trialPlans(
  plans: ReadonlyMap<string, Plan>,
  overrides: Record<string, Record<string, unknown>>,
): { plans: Map<string, Plan> } | { invalid: string } {
  const out = new Map<string, Plan>();
  for (const [symbol, plan] of plans) {
    const slots = [];
    for (const slot of plan.slots) {
      const override = overrides[slot.module_id];
      if (!override) {
        slots.push(slot);
        continue;
      }
      const params = { ...slot.params, ...override };
      const parsed = slot.module.manifest.params.safeParse(params);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return { invalid: `${slot.module_id} refuses ${JSON.stringify(override)}: ${issue.message}` };
      }
      slots.push({ ...slot, params: parsed.data as Record<string, unknown> });
    }
    out.set(symbol, { ...plan, slots });
  }
  return { plans: out };
}
