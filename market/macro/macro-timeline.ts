import { TraderError } from '../../core/errors.ts';
import type { Macro } from '../../sdk/macro-schema.ts';
import type { Queryable } from '../../store/db.ts';
import { resolveMacroOptions, type BuildMacroOptions } from './build-macro-context.ts';
import { deriveMacro, macroAge } from './derive.ts';
import { loadMacroPoints } from './macro-repo.ts';
import { checkAsOf, checkLookbackDays, indexMacroPoints, macroWindow, pickMacroSource } from './macro-select.ts';

/**
 * buildMacroContext for many decision times (a backtest's bar closes): one query loads
 * every point any asOf in `range` may see, then each call selects in memory with the same
 * rules (macro-select.ts) and derives with the same code (derive.ts), so
 * `(await macroTimeline(q, range, o))(asOf)` equals `await buildMacroContext(q, asOf, o)`.
 *
 * The derived value depends on asOf only through the chosen source's newest visible point
 * (which fixes the window) and through `age_hours`/`stale`. So values are cached per
 * (source, newest point) and only those two fields are recomputed per call: consecutive
 * hourly asOf values between two daily points derive once.
 */

/** Enough for any backtest that walks forward; bounded so a long run of snapshots cannot grow memory without end. */
const CACHE_ENTRIES = 1024;

/** Cached values are handed out many times; frozen so a caller that writes into one cannot change the next. */
function freezeTrends(m: Macro): Macro {
  for (const set of Object.values(m.trends)) {
    for (const t of Object.values(set)) if (t) Object.freeze(t);
    Object.freeze(set);
  }
  Object.freeze(m.trends);
  return m;
}

export type MacroTimeline = (asOf: Date) => Macro | null;

/** What a timeline is built from: the points one query loaded, plain data a worker thread can receive. */
export interface MacroTimelineSource {
  fromMs: number;
  toMs: number;
  points: Awaited<ReturnType<typeof loadMacroPoints>>;
  options: BuildMacroOptions;
}

/** Checks the range and options and loads every point any asOf in `range` may see (one query). */
export async function loadMacroTimeline(
  q: Queryable,
  range: { from: Date; to: Date },
  options: BuildMacroOptions = {},
): Promise<MacroTimelineSource> {
  const fromMs = checkAsOf(range.from, 'start of the macro range');
  const toMs = checkAsOf(range.to, 'end of the macro range');
  if (fromMs > toMs)
    throw new TraderError(
      'BAD_INPUT',
      `The macro range starts (${range.from.toISOString()}) after it ends (${range.to.toISOString()}).`,
    );
  const { lookbackDays } = resolveMacroOptions(options);
  checkLookbackDays(lookbackDays);
  return { fromMs, toMs, points: await loadMacroPoints(q, { fromMs, toMs }, lookbackDays, options.source), options };
}

export async function macroTimeline(
  q: Queryable,
  range: { from: Date; to: Date },
  options: BuildMacroOptions = {},
): Promise<MacroTimeline> {
  return macroTimelineOf(await loadMacroTimeline(q, range, options));
}

/** The timeline over loaded points: selects and derives in memory, no query. */
export function macroTimelineOf(source: MacroTimelineSource): MacroTimeline {
  const { fromMs, toMs, options } = source;
  const { derive, lookbackDays } = resolveMacroOptions(options);
  const index = indexMacroPoints(source.points);
  const cache = new Map<string, Macro>();
  const iso = (ms: number) => new Date(ms).toISOString();

  return (asOf) => {
    const asOfMs = checkAsOf(asOf);
    // Outside the range the loaded points may lack newer points or older window rows.
    if (asOfMs < fromMs || asOfMs > toMs) {
      throw new TraderError(
        'BAD_INPUT',
        `As-of ${asOf.toISOString()} is outside the macro timeline's range ${iso(fromMs)}..${iso(toMs)}.`,
      );
    }
    const pick = pickMacroSource(index, asOfMs, options.source);
    if (!pick) return null;
    const key = `${pick.source}\u0000${pick.newest}`;
    let base = cache.get(key);
    if (!base) {
      const m = deriveMacro(macroWindow(index, pick, lookbackDays), asOf, derive);
      if (!m) return null; // unreachable: the window holds the picked point
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(key, (base = freezeTrends(m)));
    }
    // Spreading keeps deriveMacro's key order (overwritten keys keep their place), so even JSON matches.
    return { ...base, ...macroAge(pick.newest, asOf, options.staleAfterHours) };
  };
}
