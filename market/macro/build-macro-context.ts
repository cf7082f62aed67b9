import type { Queryable } from '../../store/db.ts';
import { defaultLookbacks, deriveMacro, type DeriveMacroOptions } from './derive.ts';
import { loadMacroAsOf } from './macro-repo.ts';
import type { Macro } from '../../sdk/macro-schema.ts';

export interface BuildMacroOptions extends DeriveMacroOptions {
  /** Use this source only; default: the source with the newest point visible at `asOf`. */
  source?: string;
}

/**
 * The `macro` context value for a decision at `asOf`, using only points visible by then
 * (see derive.ts). Null when no macro data is visible, so pipelines without macro data
 * still run; modules that need it must handle a missing `macro` key.
 */
export async function buildMacroContext(q: Queryable, asOf: Date, options: BuildMacroOptions = {}): Promise<Macro | null> {
  const lookbacks = options.lookbacks ?? defaultLookbacks;
  const raw = await loadMacroAsOf(q, asOf, Math.max(0, ...lookbacks), { source: options.source });
  return raw ? deriveMacro(raw, asOf, { ...options, lookbacks }) : null;
}
