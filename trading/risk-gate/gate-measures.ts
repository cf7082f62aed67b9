import type { GateCheck, GateInput, GateRuleName } from './gate-types.ts';

/** What several gate rules share: the float slack, the sentence of a check, the intent's recomputed risk. */

/** Float slack for percent and balance comparisons; far below any meaningful amount. */
export const epsilon = 1e-9;

export const check = (rule: GateRuleName, ok: boolean, detail: string): GateCheck => ({ rule, ok, detail });

/** Two numbers with 2 decimals, or up to 8 when 2 would make different values look equal. */
export function pair(a: number, b: number): [string, string] {
  for (let d = 2; d <= 8; d++) if (a.toFixed(d) !== b.toFixed(d)) return [a.toFixed(d), b.toFixed(d)];
  return [a.toFixed(2), b.toFixed(2)];
}

/** The loss if the stop fills, from prices and quantity (never from what the intent claims). */
export function recomputedRisk(input: GateInput): { amount: number; pct: number } {
  const amount = Math.abs(input.intent.entry - input.intent.stop) * input.intent.qty;
  return { amount, pct: (amount / input.equity) * 100 };
}
