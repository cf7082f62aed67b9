import type { z } from 'zod';
import { errorMessage } from '../../core/errors.ts';
import { isKeyName } from '../../sdk/context-keys.ts';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import type { PlannedSlot } from '../plan/plan-types.ts';
import { buildView, checkOutput } from '../run/execute-slot.ts';
import { preparedFor } from '../run/prepared-columns.ts';
import { ReadLog, watchedCandles, watchedIndicators, watchedPrepared } from './read-depth.ts';

/**
 * The module under gate called as a run calls it (its declared keys, the SDK), but
 * watched: which context keys it reads without declaring them, and how many bars back it
 * reads (read-depth.ts). Only the gates call modules this way; a run's hot path has no
 * Proxy in it.
 */

export type WatchedResult = (
  | { status: 'ok'; outputs: Record<string, unknown>; rationale: string }
  | { status: 'error'; error: Error }
  | { status: 'violation'; violations: string[] }
  | { status: 'missing_input'; missing: string[] }
) & {
  /** Context keys it read (or tested with `in`) that its manifest does not declare. */
  undeclaredReads: string[];
  /** Bars back from the newest it read; null: from the very first. */
  readDepth: number | null;
  /** The SDK indicator values it read, flat: bars back from the newest, value, ... */
  indicatorValues: number[];
};

/** A view that records reads of context keys outside the declared ones; otherwise the view itself. */
function spyOn(view: Record<string, unknown>, declared: readonly string[], found: Set<string>) {
  const note = (key: string | symbol) => {
    if (typeof key === 'string' && isKeyName(key) && !declared.includes(key)) found.add(key);
  };
  return new Proxy(view, {
    get(target, key) {
      note(key);
      return Reflect.get(target, key);
    },
    has(target, key) {
      note(key);
      return Reflect.has(target, key);
    },
  });
}

export function runWatched(slot: PlannedSlot, context: Readonly<Record<string, unknown>>): WatchedResult {
  const candles = context.candles as z.infer<typeof CandleSeries> | undefined;
  const log = new ReadLog(candles?.ts.length ?? 0);
  const watchedContext = candles ? { ...context, candles: watchedCandles(candles, log) } : context;
  const found = new Set<string>();
  const { view, missing } = buildView(slot, watchedContext);
  const watch = () => ({ undeclaredReads: [...found], readDepth: log.depth(), indicatorValues: log.indicatorValues });
  if (missing.length > 0) return { status: 'missing_input', missing, ...watch() };
  let result: unknown;
  try {
    const spy = spyOn(view, slot.module.manifest.input_keys, found);
    const prepared = slot.module.prepare && candles ? watchedPrepared(preparedFor(slot, candles)!, log) : undefined;
    result = slot.module.run(spy, slot.params, { indicators: watchedIndicators(log) }, prepared);
  } catch (e) {
    return { status: 'error', error: e instanceof Error ? e : new Error(errorMessage(e)), ...watch() };
  }
  // A returned promise is a contract violation; if it rejects later, that must not end the process.
  if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function')
    Promise.resolve(result).catch(() => undefined);
  const checked = checkOutput(slot, result);
  if ('violations' in checked) return { status: 'violation', violations: checked.violations, ...watch() };
  return { status: 'ok', outputs: checked.outputs, rationale: checked.rationale, ...watch() };
}
