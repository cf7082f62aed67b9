import { z } from 'zod';
import { queryRows, type Queryable } from '../../store/db.ts';
import { DAY_MS, defaultVisibilityLagMs, visibilityLagMs, type RawMacroSeries } from './derive.ts';
import { checkAsOf, checkLookbackDays, indexMacroPoints, selectMacroAsOf, type MacroPoint } from './macro-select.ts';

/**
 * The `macro_series` table. As in candles-repo, timestamps cross the driver boundary only
 * as ms numbers and are converted in SQL, so postgres.js and PGlite cannot disagree on how
 * a Date or timestamptz is encoded.
 */

export type { MacroPoint } from './macro-select.ts';

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

// Every point a decision at any asOf in [$5, $6] (ms) may use: per source, the points
// visible at $6, but none older than the source's newest point visible at $5 minus the
// window $7 (a source with nothing visible at $5 keeps all its points). Lags come from
// derive.ts as arrays so the rule lives in one place; unknown sources get the default lag.
// Shaped for the primary key (source, metric, ts) so the cost follows the rows returned,
// not the table: `pairs` lists the (source, metric) pairs by skipping through the index
// (a handful of probes), then each pair needs one probe for its newest point and one
// range scan; `offset 0` keeps the planner from flattening that lateral scan into a hash
// join over the whole table. The SQL only narrows the load (selectMacroAsOf applies the
// exact rules on ms numbers), so each bound has 1 ms of slack on the side that loads more.
const pointsSql = `
  with recursive pairs as (
    (select source, metric from macro_series order by source, metric limit 1)
    union all
    select n.source, n.metric from pairs p cross join lateral (
      select m.source, m.metric from macro_series m
      where (m.source, m.metric) > (p.source, p.metric) order by m.source, m.metric limit 1) n
  ),
  lagged as (
    select p.source, p.metric, coalesce(l.lag_ms, $3::float8) * interval '1 millisecond' as lag
    from pairs p left join unnest($1::text[], $2::float8[]) as l(source, lag_ms) on l.source = p.source
    where $4::text is null or p.source = $4
  ),
  floors as (
    select g.source, max(x.ts) - ($7::float8 + 1) * interval '1 millisecond' as lo
    from lagged g cross join lateral (
      select m.ts from macro_series m
      where m.source = g.source and m.metric = g.metric
        and m.ts <= ${msToTs('$5::float8')} - g.lag - interval '1 millisecond'
      order by m.ts desc limit 1) x
    group by g.source
  )
  select g.source, g.metric, ${tsToMs('m.ts')} as ts, m.value
  from lagged g left join floors f on f.source = g.source
  cross join lateral (
    select m.ts, m.value from macro_series m
    where m.source = g.source and m.metric = g.metric
      and m.ts <= ${msToTs('$6::float8')} - g.lag + interval '1 millisecond'
      and m.ts >= coalesce(f.lo, '-infinity'::timestamptz)
    offset 0) m`;

const PointRow = z.object({ source: z.string(), metric: z.string(), ts: z.number(), value: z.number() });

/**
 * One query for every point that `selectMacroAsOf` may need at any asOf in [fromMs, toMs]
 * with windows of `lookbackDays`: a superset, possibly with a few points no asOf uses.
 */
export async function loadMacroPoints(
  q: Queryable,
  range: { fromMs: number; toMs: number },
  lookbackDays: number,
  source?: string | null,
): Promise<MacroPoint[]> {
  const lagSources = Object.keys(visibilityLagMs);
  return queryRows(q, PointRow, pointsSql, [
    lagSources,
    lagSources.map((s) => visibilityLagMs[s]!),
    defaultVisibilityLagMs,
    source ?? null,
    range.fromMs,
    range.toMs,
    (lookbackDays + 1) * DAY_MS,
  ]);
}

export interface LoadMacroOptions {
  /** Use this source only; default: the source with the newest visible point. */
  source?: string;
}

/**
 * What `deriveMacro` needs at `asOf`: the points of one source visible then (see the
 * visibility rule in derive.ts), from `lookbackDays` + 1 day before its newest visible
 * point up to that point. One source only, because sources measure different coin
 * universes. Null when no source has a visible point. Rules: macro-select.ts.
 */
export async function loadMacroAsOf(
  q: Queryable,
  asOf: Date,
  lookbackDays: number,
  options: LoadMacroOptions = {},
): Promise<RawMacroSeries | null> {
  const asOfMs = checkAsOf(asOf);
  checkLookbackDays(lookbackDays);
  const points = await loadMacroPoints(q, { fromMs: asOfMs, toMs: asOfMs }, lookbackDays, options.source);
  return selectMacroAsOf(indexMacroPoints(points), asOfMs, lookbackDays, options.source);
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
