import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';
import { binaryCopyRows } from '../store/binary-copy.ts';
import { queryRows, type Queryable } from '../store/db.ts';
import { rangeSound, soundCandleSql, valuesSound } from './candle-rules.ts';
import type { CandleColumns } from './csv-candles.ts';
import { parseTimeframe } from './timeframes.ts';

/**
 * The `candles` table. Timestamps cross the driver boundary only as ms numbers (float8
 * in, int8 out) and are converted in SQL, so postgres.js and PGlite cannot differ on how
 * a Date or a timestamptz is encoded or parsed.
 */

export interface CandleKey {
  exchange: string;
  symbol: string;
  timeframe: string;
}

/** Rows per statement: six float8 arrays of this length stay far below any message limit. */
const BATCH_ROWS = 5000;

const msToTs = (param: string) => `timestamptz 'epoch' + ${param} * interval '1 millisecond'`;
const tsToMs = (column: string) => `(extract(epoch from ${column}) * 1000)::int8`;

const upsertSql = `
  with upserted as (
    insert into candles (exchange, symbol, timeframe, ts, open, high, low, close, volume)
    select $1, $2, $3, ${msToTs('t.ms')}, t.open, t.high, t.low, t.close, t.volume
    from unnest($4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[])
      as t(ms, open, high, low, close, volume)
    on conflict (exchange, symbol, timeframe, ts) do update
      set open = excluded.open, high = excluded.high, low = excluded.low,
          close = excluded.close, volume = excluded.volume
    returning 1
  )
  select count(*)::int8 as n from upserted`;

/** Rows per binary COPY statement: about 5 MB of rows, so a long import does not hold one huge buffer. */
const COPY_ROWS = 50_000;

const copyColumns = ['exchange', 'symbol', 'timeframe', 'ts', 'open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Inserts or overwrites candles; returns how many rows were written. Sound candles in
 * ascending order for a span the table holds none of (a first import, a fetch of new
 * candles) go in by binary COPY, about twice as fast as an upsert (`npm run bench`, figure
 * 4); anything else takes the upsert in 5,000-row statements, whose errors name the row.
 * Writers of one market are serialised by an advisory lock held to the end of the caller's
 * transaction, so two imports cannot both find the span empty.
 * Not itself a transaction: pass a transaction's `tx` to make a whole import atomic.
 */
export async function upsertCandles(q: Queryable, key: CandleKey, columns: CandleColumns): Promise<number> {
  const n = columns.ts.length;
  if (n === 0) return 0;
  await q.query('select pg_advisory_xact_lock(hashtext($1))', [
    `candles ${key.exchange} ${key.symbol} ${key.timeframe}`,
  ]);
  // A connection that cannot COPY says so on the first call, having written nothing.
  if (copyable(columns) && (await spanIsEmpty(q, key, columns.ts)) && (await copyCandles(q, key, columns, 0))) {
    for (let start = COPY_ROWS; start < n; start += COPY_ROWS) await copyCandles(q, key, columns, start);
    return n;
  }
  let written = 0;
  for (let start = 0; start < n; start += BATCH_ROWS) {
    const end = start + BATCH_ROWS;
    const [row] = await queryRows(q, z.object({ n: z.number() }), upsertSql, [
      key.exchange,
      key.symbol,
      key.timeframe,
      columns.ts.slice(start, end),
      columns.open.slice(start, end),
      columns.high.slice(start, end),
      columns.low.slice(start, end),
      columns.close.slice(start, end),
      columns.volume.slice(start, end),
    ]);
    written += row?.n ?? 0;
  }
  return written;
}

/** Open times strictly ascending and every candle sound: rows the table's constraints accept, none twice. */
function copyable(c: CandleColumns): boolean {
  for (let i = 0; i < c.ts.length; i++) {
    const candle = { open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]!, volume: c.volume[i]! };
    if (!(valuesSound(candle) && rangeSound(candle)) || (i > 0 && !(c.ts[i]! > c.ts[i - 1]!))) return false;
  }
  return true;
}

/** True when the table holds no candle of this market between the earliest and the latest of `ts`. */
async function spanIsEmpty(q: Queryable, key: CandleKey, ts: readonly number[]): Promise<boolean> {
  let first = Infinity;
  let last = -Infinity;
  for (const t of ts) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const rows = await q.query(
    `select 1 from candles where exchange = $1 and symbol = $2 and timeframe = $3
       and ts between ${msToTs('$4::float8')} and ${msToTs('$5::float8')} limit 1`,
    [key.exchange, key.symbol, key.timeframe, first, last],
  );
  return rows.length === 0;
}

/** Candles start.. (at most COPY_ROWS of them) by COPY; false when the connection cannot COPY. */
function copyCandles(q: Queryable, key: CandleKey, c: CandleColumns, start: number): Promise<boolean> {
  const end = Math.min(c.ts.length, start + COPY_ROWS);
  const part = (values: readonly number[]) => values.slice(start, end);
  const rows = binaryCopyRows(end - start, [
    { kind: 'text', value: key.exchange },
    { kind: 'text', value: key.symbol },
    { kind: 'text', value: key.timeframe },
    { kind: 'timestamptz', ms: part(c.ts) },
    ...[c.open, c.high, c.low, c.close, c.volume].map((values) => ({ kind: 'float8' as const, values: part(values) })),
  ]);
  return q.copyFrom('candles', copyColumns, rows);
}

export interface LoadCandlesOptions extends CandleKey {
  /** Decision time: only candles closed by then (open time + timeframe <= asOf) are returned. */
  asOf: Date;
  /** How many of the newest closed candles to return. */
  limit: number;
  /**
   * Skip rows whose values are unsound (stored before the table refused them): for a
   * price to mark or fill at. A decision loads every row, so data health sees the bad ones.
   */
  soundOnly?: boolean;
}

const loadSql = (soundOnly: boolean | undefined) => `
  select ${tsToMs('ts')} as ts, open, high, low, close, volume
  from (
    select * from candles
    where exchange = $1 and symbol = $2 and timeframe = $3
      and ts <= ${msToTs('$4::float8')} - $5::float8 * interval '1 millisecond'${
        soundOnly
          ? `
      and ${soundCandleSql()}`
          : ''
      }
    order by ts desc
    limit $6
  ) newest
  order by ts`;

/** The last `limit` closed candles before `asOf`, oldest first, as a `CandleSeries`. */
export async function loadCandleSeries(
  q: Queryable,
  options: LoadCandlesOptions,
): Promise<z.infer<typeof CandleSeries>> {
  const { exchange, symbol, timeframe, asOf, limit } = options;
  const stepMs = parseTimeframe(timeframe);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new TraderError('BAD_INPUT', `The candle limit must be a positive whole number, not ${limit}.`);
  }
  const asOfMs = asOf.getTime();
  if (!Number.isFinite(asOfMs)) throw new TraderError('BAD_INPUT', 'The as-of time is not a valid date.');
  const rows = await q.query<CandleRow>(loadSql(options.soundOnly), [
    exchange,
    symbol,
    timeframe,
    asOfMs,
    stepMs,
    limit,
  ]);
  return toColumns(options, rows);
}

type CandleRow = { ts: number; open: number; high: number; low: number; close: number; volume: number };

/** Columnar copy without zod per row: the table's types guarantee the shape (values are judged by data health). */
function toColumns(key: CandleKey, rows: readonly CandleRow[]): z.infer<typeof CandleSeries> {
  const series = {
    exchange: key.exchange,
    symbol: key.symbol,
    timeframe: key.timeframe,
    ts: [] as number[],
    open: [] as number[],
    high: [] as number[],
    low: [] as number[],
    close: [] as number[],
    volume: [] as number[],
  };
  for (const r of rows) {
    series.ts.push(r.ts);
    series.open.push(r.open);
    series.high.push(r.high);
    series.low.push(r.low);
    series.close.push(r.close);
    series.volume.push(r.volume);
  }
  return series;
}

/**
 * Every cached candle whose open time is in [fromMs, toMs), oldest first (a backtest's
 * span, or the finer bars inside one bar); `soundOnly` as in LoadCandlesOptions.
 */
export async function loadCandleRange(
  q: Queryable,
  key: CandleKey,
  fromMs: number,
  toMs: number,
  options: { soundOnly?: boolean } = {},
): Promise<z.infer<typeof CandleSeries>> {
  // One row of six arrays, not a row per candle: a backtest loads years of candles, and the
  // embedded database parses one array about three times faster than as many rows.
  const agg = (column: string) => `array_agg(${column} order by ts)`;
  const [row] = await q.query<Partial<Record<'ts' | 'open' | 'high' | 'low' | 'close' | 'volume', number[] | null>>>(
    `select ${agg('(extract(epoch from ts) * 1000)::float8')} as ts, ${agg('open')} as open, ${agg('high')} as high,
            ${agg('low')} as low, ${agg('close')} as close, ${agg('volume')} as volume
     from candles
     where exchange = $1 and symbol = $2 and timeframe = $3 and ts >= ${msToTs('$4::float8')} and ts < ${msToTs('$5::float8')}
       ${options.soundOnly ? `and ${soundCandleSql()}` : ''}`,
    [key.exchange, key.symbol, key.timeframe, fromMs, toMs],
  );
  const col = (c: 'ts' | 'open' | 'high' | 'low' | 'close' | 'volume') => row?.[c] ?? [];
  return {
    exchange: key.exchange,
    symbol: key.symbol,
    timeframe: key.timeframe,
    ts: col('ts'),
    open: col('open'),
    high: col('high'),
    low: col('low'),
    close: col('close'),
    volume: col('volume'),
  };
}

export const CandleCoverage = z.object({
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  first_ts: z.number().int().describe('open time of the oldest candle, ms'),
  last_ts: z.number().int().describe('open time of the newest candle, ms'),
  rows: z.number().int().nonnegative(),
});
export type CandleCoverage = z.infer<typeof CandleCoverage>;

const coverageSql = `
  select exchange, symbol, timeframe, ${tsToMs('min(ts)')} as first_ts, ${tsToMs('max(ts)')} as last_ts,
         count(*)::int8 as rows
  from candles
  where ($1::text is null or exchange = $1) and ($2::text is null or symbol = $2) and ($3::text is null or timeframe = $3)
  group by exchange, symbol, timeframe
  order by exchange, symbol, timeframe`;

/** What candle history is stored: one row per (exchange, symbol, timeframe). */
export async function candleCoverage(q: Queryable, filter: Partial<CandleKey> = {}): Promise<CandleCoverage[]> {
  return queryRows(q, CandleCoverage, coverageSql, [
    filter.exchange ?? null,
    filter.symbol ?? null,
    filter.timeframe ?? null,
  ]);
}

/** Open time (ms) of the newest cached candle of a market, or null when none is cached. */
export async function lastCandleTs(q: Queryable, key: CandleKey): Promise<number | null> {
  const [row] = await q.query<{ ts: number | null }>(
    `select ${tsToMs('max(ts)')} as ts from candles where exchange = $1 and symbol = $2 and timeframe = $3`,
    [key.exchange, key.symbol, key.timeframe],
  );
  return row?.ts ?? null;
}
