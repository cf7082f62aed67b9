import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/paths.ts';
import { type CcxtExchange, classifierFor, openExchange } from '../market/exchange/ccxt-loader.ts';
import { fetchCandles, type FetchCandlesResult } from '../market/exchange/fetch-candles.ts';
import { defaultRetryPolicy } from '../market/exchange/retry.ts';
import type { Db } from '../store/db.ts';
import {
  type BinanceStandIn,
  type StandInCandle,
  loadCsvCandles,
  startBinanceStandIn,
} from '../simulator/binance-stand-in.ts';

/**
 * Figure 5: a 1h BTC/USDT history fetched through the Binance stand-in (a real HTTP
 * server on 127.0.0.1) by the real ccxt binance client and `fetchCandles`, into an empty
 * candles table. Two years (2023-01-01..2024-12-31) from ../shared/data/market when that
 * file is there, else only the shipped 2024 sample.
 */

const symbol = 'BTC/USDT';
const timeframe = '1h';
/** The stand-in's clock and ours: half an hour after the last served candle opened + 1 h. */
export const fetchNow = Date.parse('2025-01-01T00:30:00Z');
const end = Date.parse('2025-01-01T00:00:00Z');

export interface FetchSeries {
  label: string;
  since: number;
  candles: StandInCandle[];
}

export function fetchSeries(): FetchSeries {
  const shared = path.resolve(packageRoot, '../shared/data/market/binance_BTC-USDT_1h.csv');
  const twoYears = Date.parse('2023-01-01T00:00:00Z');
  if (fs.existsSync(shared)) {
    const candles = loadCsvCandles(shared).filter((c) => c.ts >= twoYears && c.ts < end);
    if (candles[0]?.ts === twoYears)
      return {
        label: '2 years, 2023-01-01..2024-12-31 from ../shared/data/market/binance_BTC-USDT_1h.csv',
        since: twoYears,
        candles,
      };
  }
  const sample = path.join(packageRoot, 'data/sample/binance_BTC-USDT_1h_2024.csv');
  const oneYear = Date.parse('2024-01-01T00:00:00Z');
  return {
    label: 'ONLY 1 year, 2024 from data/sample (../shared/data/market/binance_BTC-USDT_1h.csv missing)',
    since: oneYear,
    candles: loadCsvCandles(sample),
  };
}

export interface StandInFetchResult {
  ms: number[];
  /** Of each repetition, the time spent in database calls (lookups and the per-page upsert transactions). */
  dbMs: number[];
  last: FetchCandlesResult;
  /** Requests the stand-in logged during the last repetition. */
  standInRequests: number;
  /** Its paths, e.g. { '/api/v3/klines': 18, ... }. */
  paths: Record<string, number>;
  /** Candles in the table after the last repetition. */
  counted: number;
  rateLimitMs: number;
}

/** Starts a stand-in serving `series` (stopped by the caller). */
export function startFetchStandIn(series: FetchSeries): Promise<BinanceStandIn> {
  return startBinanceStandIn({
    markets: [
      {
        symbol,
        candles: new Map([[timeframe, series.candles]]),
        tickSize: 0.01,
        stepSize: 0.00001,
        minQty: 0.00001,
        minNotional: 5,
      },
    ],
    now: () => fetchNow,
  });
}

/** Lowers ccxt's limiter to `ms` per cost unit: `rateLimit` alone is read only when the throttler is built. */
function setRateLimit(ex: CcxtExchange, ms: number): void {
  const e = ex as unknown as { rateLimit: number; tokenBucket: unknown; initRestRateLimiter(): void };
  e.rateLimit = ms;
  e.tokenBucket = undefined;
  e.initRestRateLimiter();
}

/** `db` with the time spent in its calls added to `spent.ms`. */
function timedDb(db: Db, spent: { ms: number }): Db {
  const timed = async <T>(p: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await p();
    } finally {
      spent.ms += performance.now() - t0;
    }
  };
  return {
    kind: db.kind,
    location: db.location,
    query: (text, params) => timed(() => db.query(text, params)),
    exec: (sql) => timed(() => db.exec(sql)),
    copyFrom: (table, columns, rows) => timed(() => db.copyFrom(table, columns, rows)),
    transaction: (fn) => timed(() => db.transaction(fn)),
    close: () => db.close(),
  };
}

/**
 * `warmup` unmeasured then `reps` measured fetches of the whole series, each with a new
 * ccxt client (no cached markets; the ccxt import itself is outside the timing) and
 * after deleting the previous repetition's candles, so each one starts with none stored.
 */
export async function measureStandInFetch(
  db: Db,
  standIn: BinanceStandIn,
  series: FetchSeries,
  reps: number,
  warmup: number,
  rateLimitMs?: number,
): Promise<StandInFetchResult> {
  const ms: number[] = [];
  const dbMs: number[] = [];
  let last: FetchCandlesResult | undefined;
  let standInRequests = 0;
  let paths: Record<string, number> = {};
  let rateLimit = Number.NaN;
  for (let i = 0; i < warmup + reps; i++) {
    await db.query('delete from candles where exchange = $1 and symbol = $2 and timeframe = $3', [
      'binance',
      symbol,
      timeframe,
    ]);
    const ex = await openExchange('binance', { baseUrl: standIn.url });
    if (rateLimitMs !== undefined) setRateLimit(ex, rateLimitMs);
    rateLimit = Number(ex.rateLimit);
    const deps = { policy: defaultRetryPolicy, classify: await classifierFor(ex), now: () => fetchNow };
    const before = standIn.requests.length;
    const spent = { ms: 0 };
    const t0 = performance.now();
    last = await fetchCandles(
      timedDb(db, spent),
      ex,
      { exchange: 'binance', symbol, timeframe, since: series.since },
      deps,
    );
    const took = performance.now() - t0;
    if (last.stored !== series.candles.length)
      throw new Error(`stand-in fetch stored ${last.stored} of ${series.candles.length} candles`);
    if (i < warmup) continue;
    ms.push(took);
    dbMs.push(spent.ms);
    const log = standIn.requests.slice(before);
    standInRequests = log.length;
    paths = {};
    for (const r of log) paths[r.path] = (paths[r.path] ?? 0) + 1;
  }
  const [row] = await db.query<{ n: number }>(
    'select count(*)::int8 as n from candles where exchange = $1 and symbol = $2 and timeframe = $3',
    ['binance', symbol, timeframe],
  );
  return { ms, dbMs, last: last!, standInRequests, paths, counted: Number(row?.n), rateLimitMs: rateLimit };
}
