import { z } from 'zod';
import {
  DAY_MS,
  defaultVisibilityLagMs,
  sourcePreference,
  visibilityLagMs,
  type RawMacroSeries,
} from '../../market/macro/derive.ts';
import { queryRows, type Queryable } from '../../store/db.ts';

/**
 * loadMacroAsOf as it was before the selection rules moved to macro-select.ts (commit
 * cd15e8a): two queries, the rules in SQL. Kept verbatim as a test oracle, so the pure
 * selection is proven to pick what the SQL picked.
 */

const msToTs = (param: string) => `timestamptz 'epoch' + ${param} * interval '1 millisecond'`;
const tsToMs = (column: string) => `(extract(epoch from ${column}) * 1000)::int8`;

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

export async function legacyLoadMacroAsOf(
  q: Queryable,
  asOf: Date,
  lookbackDays: number,
  options: { source?: string } = {},
): Promise<RawMacroSeries | null> {
  const asOfMs = asOf.getTime();
  const lagSources = Object.keys(visibilityLagMs);
  const newest = await queryRows(q, NewestRow, newestPerSourceSql, [
    asOfMs,
    lagSources,
    lagSources.map((s) => visibilityLagMs[s]!),
    defaultVisibilityLagMs,
    options.source ?? null,
  ]);
  const rank = (s: string) => (sourcePreference.includes(s) ? sourcePreference.indexOf(s) : sourcePreference.length);
  const chosen = newest.sort(
    (a, b) => b.newest - a.newest || rank(a.source) - rank(b.source) || a.source.localeCompare(b.source),
  )[0];
  if (!chosen) return null;
  const rows = await queryRows(q, PointRow, windowSql, [
    chosen.source,
    chosen.newest,
    chosen.newest - (lookbackDays + 1) * DAY_MS,
  ]);
  const metrics: RawMacroSeries['metrics'] = {};
  for (const r of rows) {
    const s = (metrics[r.metric] ??= { ts: [], value: [] });
    s.ts.push(r.ts);
    s.value.push(r.value);
  }
  return { source: chosen.source, metrics };
}
