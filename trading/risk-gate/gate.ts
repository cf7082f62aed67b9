import { gateRules } from './gate-rules.ts';
import type { GateInput, GateVerdict } from './gate-types.ts';

export type { GateCheck, GateInput, GatePurpose, GateRuleName, GateVerdict, OpenPositionRisk } from './gate-types.ts';

/**
 * The risk gate: every rule is checked (none short-circuits), so the verdict names all
 * reasons an intent is refused. Pure: the same input always gives the same verdict.
 */
export function checkIntent(input: GateInput): GateVerdict {
  const checks = gateRules.map((rule) => rule(input));
  const failed = checks.filter((c) => !c.ok);
  return { ok: failed.length === 0, checks, reasons: failed.map((c) => c.detail) };
}
