import { TraderError } from '../core/errors.ts';
import { MarketSymbol } from '../sdk/context-schemas.ts';
import type { Queryable } from '../store/db.ts';
import { candleFault, gridOf, soundCandleSql } from './candle-rules.ts';
import { isTimeframe, parseTimeframe, timeframeOffsetMs, timeframes } from './timeframes.ts';
import { quote } from '../core/quote.ts';

/**
 * `trader data check`: stored candles that no decision may rest on. Rows whose values the
 * table refuses today (NOT VALID constraints spare rows stored before them) and rows whose
 * open time is off their timeframe's grid. Found in SQL, so a large cache is never loaded
 * whole; each found row is described by the same rule import uses (candle-rules.ts).
 */

export interface CandleFilter {
  /** Only these symbols; all when absent. */
  symbols?: string[];
}

export interface BadCandle {
  exchange: string;
  symbol: string;
  timeframe: string;
  /** Open time, ms, and as ISO text. */
  ts: number;
  time: string;
  /** A non-finite value is given as text ('NaN', 'Infinity'): JSON has no such numbers. */
  values: Record<'open' | 'high' | 'low' | 'close' | 'volume', number | string>;
  problem: string;
}

export interface MarketCount {
  exchange: string;
  symbol: string;
  timeframe: string;
  bad: number;
}

export interface DataCheckReport {
  checked: { markets: number; candles: number };
  /** Bad rows per market. */
  markets: MarketCount[];
  bad: number;
  /** The first `listLimit` bad rows, oldest first per market. */
  rows: BadCandle[];
}

/** Rows listed in a report; all bad rows are counted (and removed by --fix) however many there are. */
const listLimit = 1000;

const ms = `(extract(epoch from c.ts) * 1000)::int8`;
/** step and grid offset per known timeframe, from the code's table (constants, never input). */
const caseOf = (value: (tf: string) => number) =>
  `case c.timeframe ${timeframes.map((tf) => `when '${tf}' then ${value(tf)}`).join(' ')} end`;
const offGridSql = `(c.timeframe in (${timeframes.map((tf) => `'${tf}'`).join(', ')}) and mod(${ms} - ${caseOf(timeframeOffsetMs)}, ${caseOf(parseTimeframe)}) <> 0)`;
const badSql = `(not ${soundCandleSql('c')} or ${offGridSql})`;
const filterSql = `($1::text[] is null or c.symbol = any($1::text[]))`;

type Row = { exchange: string; symbol: string; timeframe: string; ts: number } & Record<
  'open' | 'high' | 'low' | 'close' | 'volume',
  number
>;
const rowColumns = `c.exchange, c.symbol, c.timeframe, ${ms} as ts, c.open, c.high, c.low, c.close, c.volume`;

function checkFilter(filter: CandleFilter): string[] | null {
  for (const s of filter.symbols ?? [])
    if (!MarketSymbol.safeParse(s).success)
      throw new TraderError('BAD_INPUT', `${quote(s)} is not a symbol like BTC/USDT (upper case BASE/QUOTE).`);
  return filter.symbols?.length ? filter.symbols : null;
}

const shown = (v: number) => (Number.isFinite(v) ? v : String(v));

/** A found row in words: every reason it is bad. */
function describeBadCandle(r: Row): BadCandle {
  const values = { open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume };
  const ts = Number(r.ts);
  const problems = [
    isTimeframe(r.timeframe) && !gridOf(r.timeframe)(ts) ? `open time off the ${r.timeframe} grid` : null,
    candleFault(values),
  ].filter((p): p is string => p !== null);
  return {
    exchange: r.exchange,
    symbol: r.symbol,
    timeframe: r.timeframe,
    ts,
    time: new Date(ts).toISOString(),
    values: {
      open: shown(r.open),
      high: shown(r.high),
      low: shown(r.low),
      close: shown(r.close),
      volume: shown(r.volume),
    },
    problem: problems.join('; '),
  };
}

/** Counts bad rows per market and lists the first of them. Read-only. */
export async function findBadCandles(q: Queryable, filter: CandleFilter = {}): Promise<DataCheckReport> {
  const symbols = checkFilter(filter);
  const [checked] = await q.query<{ markets: number; candles: number }>(
    `select count(distinct (c.exchange, c.symbol, c.timeframe))::int8 as markets, count(*)::int8 as candles
       from candles c where ${filterSql}`,
    [symbols],
  );
  const markets = await q.query<MarketCount>(
    `select c.exchange, c.symbol, c.timeframe, count(*)::int8 as bad from candles c
      where ${filterSql} and ${badSql} group by 1, 2, 3 order by 1, 2, 3`,
    [symbols],
  );
  const rows = await q.query<Row>(
    `select ${rowColumns} from candles c where ${filterSql} and ${badSql}
      order by c.exchange, c.symbol, c.timeframe, c.ts limit ${listLimit}`,
    [symbols],
  );
  const counts = markets.map((m) => ({ ...m, bad: Number(m.bad) }));
  return {
    checked: { markets: Number(checked!.markets), candles: Number(checked!.candles) },
    markets: counts,
    bad: counts.reduce((s, m) => s + m.bad, 0),
    rows: rows.map(describeBadCandle),
  };
}

/** Deletes every bad row the filter selects; returns them. Call inside a transaction. */
export async function deleteBadCandles(tx: Queryable, filter: CandleFilter = {}): Promise<BadCandle[]> {
  const rows = await tx.query<Row>(`delete from candles c where ${filterSql} and ${badSql} returning ${rowColumns}`, [
    checkFilter(filter),
  ]);
  const key = (c: BadCandle) => `${c.exchange} ${c.symbol} ${c.timeframe}`;
  return rows.map(describeBadCandle).sort((a, b) => key(a).localeCompare(key(b)) || a.ts - b.ts);
}
