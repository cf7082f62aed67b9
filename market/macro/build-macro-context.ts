import type { Queryable } from '../../store/db.ts';
import { defaultLookbacks, deriveMacro, type DeriveMacroOptions } from './derive.ts';
import { loadMacroAsOf } from './macro-repo.ts';
import type { Macro } from '../../sdk/macro-schema.ts';

export interface BuildMacroOptions extends DeriveMacroOptions {
  /** Use this source only; default: the source with the newest point visible at `asOf`. */
  source?: string;
}

/** The lookbacks in force and the window they need, shared with macro-timeline.ts so both load alike. */
export function resolveMacroOptions(options: BuildMacroOptions): { derive: DeriveMacroOptions; lookbackDays: number } {
  const lookbacks = options.lookbacks ?? defaultLookbacks;
  return { derive: { ...options, lookbacks }, lookbackDays: Math.max(0, ...lookbacks) };
}

/**
 * The `macro` context value for a decision at `asOf`, using only points visible by then
 * (see derive.ts). Null when no macro data is visible, so pipelines without macro data
 * still run; modules that need it must handle a missing `macro` key. For many asOf values
 * at once (backtests) use macroTimeline: same values, one query.
 */
export async function buildMacroContext(
  q: Queryable,
  asOf: Date,
  options: BuildMacroOptions = {},
): Promise<Macro | null> {
  const { derive, lookbackDays } = resolveMacroOptions(options);
  const raw = await loadMacroAsOf(q, asOf, lookbackDays, { source: options.source });
  return raw ? deriveMacro(raw, asOf, derive) : null;
}
