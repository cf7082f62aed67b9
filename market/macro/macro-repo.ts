import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import { DAY_MS, defaultVisibilityLagMs, sourcePreference, visibilityLagMs, type RawMacroSeries } from './derive.ts';

/**
 * The `macro_series` table. As in candles-repo, timestamps cross the driver boundary only
 * as ms numbers and are converted in SQL, so postgres.js and PGlite cannot disagree on how
 * a Date or timestamptz is encoded.
 */

/** One stored value: `ts` is the time it describes, ms since the epoch (UTC). */
export interface MacroPoint {
  source: string;
  metric: string;
  ts: number;
  value: number;
}

/** Points per statement: four arrays of this length stay far below any message limit. */
const BATCH = 5000;

const msToTs = (param: string) => `timestamptz 'epoch' + ${param} * interval '1 millisecond'`;
const tsToMs = (column: string) => `(extract(epoch from ${column}) * 1000)::int8`;

const upsertSql = `
  with upserted as (
    insert into macro_series (source, metric, ts, value)
    select p.source, p.metric, ${msToTs('p.ms')}, p.value
    from unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) as p(source, metric, ms, value)
    on conflict (source, metric, ts) do update set value = excluded.value, fetched_at = now()
    returning 1
  )
  select count(*)::int8 as n from upserted`;

/**
 * Inserts or overwrites points; returns how many rows were written. Not itself a
 * transaction: pass a transaction's `tx` to make a whole import atomic.
 */
export async function upsertMacroPoints(q: Queryable, points: readonly MacroPoint[]): Promise<number> {
  let written = 0;
  for (let start = 0; start < points.length; start += BATCH) {
    const batch = points.slice(start, start + BATCH);
    const [row] = await queryRows(q, z.object({ n: z.number() }), upsertSql, [
      batch.map((p) => p.source),
      batch.map((p) => p.metric),
      batch.map((p) => p.ts),
      batch.map((p) => p.value),
    ]);
    written += row?.n ?? 0;
  }
  return written;
}

// Rows visible at $1 (ms): ts + the source's lag <= as-of. Lags come from derive.ts as
// arrays so the rule lives in one place; unknown sources get the default (daily) lag.
const visibleSql = (extra: string) => `
  select m.source, m.metric, m.ts, m.value
  from macro_series m
  left join unnest($2::text[], $3::float8[]) as l(source, lag_ms) on l.source = m.source
  where m.ts <= ${msToTs('$1::float8')} - coalesce(l.lag_ms, $4::float8) * interval '1 millisecond' ${extra}`;

const newestPerSourceSql = `
  select v.source, ${tsToMs('max(v.ts)')} as newest
  from (${visibleSql('and ($5::text is null or m.source = $5)')}) v
  group by v.source`;

const windowSql = `
  select metric, ${tsToMs('ts')} as ts, value
  from macro_series
  where source = $1 and ts <= ${msToTs('$2::float8')} and ts >= ${msToTs('$3::float8')}
  order by metric, ts`;

const NewestRow = z.object({ source: z.string(), newest: z.number() });
const PointRow = z.object({ metric: z.string(), ts: z.number(), value: z.number() });

export interface LoadMacroOptions {
  /** Use this source only; default: the source with the newest visible point. */
  source?: string;
}

/**
 * What `deriveMacro` needs at `asOf`: the points of one source visible then (see the
 * visibility rule in derive.ts), from `lookbackDays` + 1 day before its newest visible
 * point up to that point. One source only, because sources measure different coin
 * universes. Null when no source has a visible point.
 */
export async function loadMacroAsOf(q: Queryable, asOf: Date, lookbackDays: number, options: LoadMacroOptions = {}): Promise<RawMacroSeries | null> {
  const asOfMs = asOf.getTime();
  if (!Number.isFinite(asOfMs)) throw new TraderError('BAD_INPUT', 'The as-of time is not a valid date.');
  if (!Number.isFinite(lookbackDays) || lookbackDays < 0) {
    throw new TraderError('BAD_INPUT', `The macro lookback must be a non-negative number of days, not ${lookbackDays}.`);
  }
  const lagSources = Object.keys(visibilityLagMs);
  const newest = await queryRows(q, NewestRow, newestPerSourceSql, [
    asOfMs,
    lagSources,
    lagSources.map((s) => visibilityLagMs[s]!),
    defaultVisibilityLagMs,
    options.source ?? null,
  ]);
  const rank = (s: string) => (sourcePreference.includes(s) ? sourcePreference.indexOf(s) : sourcePreference.length);
  const chosen = newest.sort((a, b) => b.newest - a.newest || rank(a.source) - rank(b.source) || a.source.localeCompare(b.source))[0];
  if (!chosen) return null;
  // Every row of one source up to its newest visible point is visible too (one lag per source).
  const rows = await queryRows(q, PointRow, windowSql, [chosen.source, chosen.newest, chosen.newest - (lookbackDays + 1) * DAY_MS]);
  const metrics: RawMacroSeries['metrics'] = {};
  for (const r of rows) {
    const s = (metrics[r.metric] ??= { ts: [], value: [] });
    s.ts.push(r.ts);
    s.value.push(r.value);
  }
  return { source: chosen.source, metrics };
}

export const MacroCoverage = z.object({
  source: z.string(),
  metric: z.string(),
  first_ts: z.number().int().describe('oldest point, ms'),
  last_ts: z.number().int().describe('newest point, ms'),
  rows: z.number().int().nonnegative(),
});
export type MacroCoverage = z.infer<typeof MacroCoverage>;

/** What macro history is stored: one row per (source, metric). */
export async function macroCoverage(q: Queryable): Promise<MacroCoverage[]> {
  return queryRows(
    q,
    MacroCoverage,
    `select source, metric, ${tsToMs('min(ts)')} as first_ts, ${tsToMs('max(ts)')} as last_ts, count(*)::int8 as rows
     from macro_series group by source, metric order by source, metric`,
  );
}
