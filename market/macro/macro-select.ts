import { TraderError } from '../../core/errors.ts';
import { countAtOrBefore, countBefore } from '../../core/sorted.ts';
import { DAY_MS, lagOf, sourcePreference, type RawMacroSeries } from './derive.ts';

/**
 * Which stored macro points a decision at `asOf` uses, as a pure function of the points.
 * The one copy of the selection rules: the live path (loadMacroAsOf, one query per asOf)
 * and the backtest path (macroTimeline, one query per run) both load a superset of the
 * needed points and call `selectMacroAsOf`, so they cannot disagree.
 *
 * Rules: a point is visible when ts <= asOf − lag(source) (derive.ts). The source with the
 * newest visible point wins; ties go to `sourcePreference`, then to the name. Its window is
 * every point of that source with newest − (lookbackDays + 1) days <= ts <= newest: all of
 * them are visible, since one source has one lag.
 */

/** One stored value: `ts` is the time it describes, ms since the epoch (UTC). */
export interface MacroPoint {
  source: string;
  metric: string;
  ts: number;
  value: number;
}

/** One source's points, ascending by ts, as parallel arrays for binary search. */
interface SourcePoints {
  source: string;
  lag: number;
  ts: number[];
  metric: string[];
  value: number[];
}

/** Points grouped by source and sorted, built once; then every asOf costs O(sources × log points). */
export interface MacroPointIndex {
  readonly sources: ReadonlyMap<string, SourcePoints>;
}

export interface MacroPick {
  source: string;
  /** The source's newest point visible at asOf, ms. */
  newest: number;
}

export function indexMacroPoints(points: readonly MacroPoint[]): MacroPointIndex {
  const grouped = new Map<string, MacroPoint[]>();
  for (const p of points) {
    let list = grouped.get(p.source);
    if (!list) grouped.set(p.source, (list = []));
    list.push(p);
  }
  const sources = new Map<string, SourcePoints>();
  for (const [source, list] of grouped) {
    // Metric as tie-break only makes the order independent of the order rows arrived in.
    list.sort((a, b) => a.ts - b.ts || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
    sources.set(source, {
      source,
      lag: lagOf(source),
      ts: list.map((p) => p.ts),
      metric: list.map((p) => p.metric),
      value: list.map((p) => p.value),
    });
  }
  return { sources };
}

const rank = (s: string) => (sourcePreference.includes(s) ? sourcePreference.indexOf(s) : sourcePreference.length);

/** The source to use at `asOfMs` and its newest visible point; `only` restricts to one source. Null if none is visible. */
export function pickMacroSource(index: MacroPointIndex, asOfMs: number, only?: string | null): MacroPick | null {
  const candidates: MacroPick[] = [];
  for (const s of index.sources.values()) {
    if (only != null && s.source !== only) continue;
    const n = countAtOrBefore(s.ts, asOfMs - s.lag);
    if (n > 0) candidates.push({ source: s.source, newest: s.ts[n - 1]! });
  }
  candidates.sort((a, b) => b.newest - a.newest || rank(a.source) - rank(b.source) || a.source.localeCompare(b.source));
  return candidates[0] ?? null;
}

/** The picked source's points from `lookbackDays` + 1 day before its newest visible point up to that point. */
export function macroWindow(index: MacroPointIndex, pick: MacroPick, lookbackDays: number): RawMacroSeries {
  const s = index.sources.get(pick.source);
  const metrics: RawMacroSeries['metrics'] = {};
  if (!s) return { source: pick.source, metrics };
  const end = countAtOrBefore(s.ts, pick.newest);
  const byMetric = new Map<string, { ts: number[]; value: number[] }>();
  for (let i = countBefore(s.ts, pick.newest - (lookbackDays + 1) * DAY_MS); i < end; i++) {
    let m = byMetric.get(s.metric[i]!);
    if (!m) byMetric.set(s.metric[i]!, (m = { ts: [], value: [] }));
    m.ts.push(s.ts[i]!);
    m.value.push(s.value[i]!);
  }
  // Sorted keys: the value does not depend on key order, but logs and snapshots read better stable.
  for (const name of [...byMetric.keys()].sort()) metrics[name] = byMetric.get(name)!;
  return { source: pick.source, metrics };
}

/** What `deriveMacro` needs at `asOfMs`, from `index` alone; null when no source has a visible point. */
export function selectMacroAsOf(
  index: MacroPointIndex,
  asOfMs: number,
  lookbackDays: number,
  only?: string | null,
): RawMacroSeries | null {
  const pick = pickMacroSource(index, asOfMs, only);
  return pick ? macroWindow(index, pick, lookbackDays) : null;
}

export function checkAsOf(asOf: Date, what = 'as-of time'): number {
  const ms = asOf.getTime();
  if (!Number.isFinite(ms)) throw new TraderError('BAD_INPUT', `The ${what} is not a valid date.`);
  return ms;
}

export function checkLookbackDays(lookbackDays: number): void {
  if (!Number.isFinite(lookbackDays) || lookbackDays < 0) {
    throw new TraderError(
      'BAD_INPUT',
      `The macro lookback must be a non-negative number of days, not ${lookbackDays}.`,
    );
  }
}
