import type { z } from 'zod';
import { contextKeys, isKeyName } from '../../sdk/context-keys.ts';
import type { ModuleSdk } from '../../sdk/define-module.ts';
import { evaluateCondition } from '../plan/conditions.ts';
import type { PlannedSlot } from '../plan/plan-types.ts';
import { quote } from '../../core/quote.ts';
import { issueText } from '../../core/schema-problems.ts';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import { preparedFor } from './prepared-columns.ts';

/** What running one slot produced; the symbol runner decides what to merge and log. */
export type SlotResult =
  | { status: 'skipped_when' }
  | { status: 'missing_input'; missing: string[] }
  | {
      status: 'ok';
      outputs: Record<string, unknown>;
      rationale: string;
      duration_ms: number;
      view: Record<string, unknown>;
    }
  | {
      status: 'violation';
      violations: string[];
      rationale: string | null;
      duration_ms: number;
      view: Record<string, unknown>;
    }
  | { status: 'error'; error: Error; duration_ms: number; view: Record<string, unknown> };

const emptyList: readonly unknown[] = Object.freeze([]);

/** The module's view: exactly its declared input keys; list keys nobody wrote read as empty. */
export function buildView(
  slot: PlannedSlot,
  context: Readonly<Record<string, unknown>>,
): { view: Record<string, unknown>; missing: string[] } {
  const view: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const key of slot.module.manifest.input_keys) {
    const value = context[key];
    if (value !== undefined) view[key] = value;
    else if (isKeyName(key) && contextKeys[key].kind === 'list') view[key] = emptyList;
    else missing.push(key);
  }
  return { view: Object.freeze(view), missing };
}

/**
 * Checks a module's return value against its contract: an object with outputs and a
 * rationale, only declared keys, every value valid by its key's schema. Returns the
 * parsed outputs (list items stamped with the module id) or every violation found.
 */
export function checkOutput(
  slot: PlannedSlot,
  result: unknown,
): { outputs: Record<string, unknown>; rationale: string } | { violations: string[]; rationale: string | null } {
  if (result === null || typeof result !== 'object')
    return { violations: ['returned no { outputs, rationale } object'], rationale: null };
  if (typeof (result as { then?: unknown }).then === 'function') {
    return { violations: ['returned a Promise; a module run function must be synchronous and pure'], rationale: null };
  }
  const { outputs, rationale } = result as { outputs?: unknown; rationale?: unknown };
  const violations: string[] = [];
  const why = typeof rationale === 'string' && rationale.trim() !== '' ? rationale : null;
  if (why === null) violations.push('returned no rationale (a non-empty string is required)');
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
    return { violations: [...violations, 'returned no outputs object'], rationale: why };
  }
  const declared = new Set(slot.module.manifest.output_keys);
  const parsed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outputs)) {
    if (!declared.has(key) || !isKeyName(key)) {
      violations.push(`wrote undeclared key ${quote(key)}`);
      continue;
    }
    const def = contextKeys[key];
    if (def.kind === 'list') {
      if (!Array.isArray(value)) {
        violations.push(`${quote(key)} must be a list of items`);
        continue;
      }
      const items = value.map((item, i) => {
        const r = def.schema.safeParse(item);
        if (!r.success) violations.push(...r.error.issues.map((x) => issueText(x, [key, i])));
        return r.success ? { ...(r.data as object), source: slot.module_id } : null;
      });
      parsed[key] = items;
    } else {
      const r = def.schema.safeParse(value);
      if (!r.success) violations.push(...r.error.issues.map((x) => issueText(x, [key])));
      else parsed[key] = r.data;
    }
  }
  return violations.length > 0 ? { violations, rationale: why } : { outputs: parsed, rationale: why! };
}

/**
 * Runs one slot against the context. Never throws: failures come back as results (a failing
 * prepare is the module's failure). `preparePerBar`: see preparedFor.
 */
export function executeSlot(
  slot: PlannedSlot,
  context: Readonly<Record<string, unknown>>,
  sdk: ModuleSdk,
  preparePerBar = false,
): SlotResult {
  if (slot.when && !evaluateCondition(slot.when, context)) return { status: 'skipped_when' };
  const { view, missing } = buildView(slot, context);
  if (missing.length > 0) return { status: 'missing_input', missing };
  const started = performance.now();
  let result: unknown;
  try {
    const prepared = slot.module.prepare
      ? preparedFor(slot, context.candles as z.infer<typeof CandleSeries>, preparePerBar)
      : undefined;
    result = slot.module.run(view, slot.params, sdk, prepared);
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    return { status: 'error', error, duration_ms: performance.now() - started, view };
  }
  const duration_ms = performance.now() - started;
  const checked = checkOutput(slot, result);
  if ('violations' in checked)
    return { status: 'violation', violations: checked.violations, rationale: checked.rationale, duration_ms, view };
  return { status: 'ok', outputs: checked.outputs, rationale: checked.rationale, duration_ms, view };
}
