import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { lastCandleTs, upsertCandles } from '../candles-repo.ts';
import { ensureInstrument } from '../instruments-repo.ts';
import { parseTimeframe } from '../timeframes.ts';
import { keepClosed, validateOhlcvPage } from './candle-page.ts';
import { type CcxtExchange, checkedAnswer, marketsLoader } from './ccxt-loader.ts';
import { type Classified, type RetryDeps, type RetryPolicy, withRetry } from './retry.ts';
import { type Endpoint, limitFor, localGate, type RateGate } from './rate-gate.ts';
import { throwIfStopping } from '../../sandbox/stop.ts';

export interface FetchCandlesRequest {
  exchange: string;
  symbol: string;
  timeframe: string;
  /** First candle wanted (ms); default: the last cached candle, else `defaultHistoryBars` back. */
  since?: number;
  /** Stop before this open time (ms); default: now. */
  until?: number;
}

export interface FetchCandlesResult {
  symbol: string;
  stored: number;
  pages: number;
  requests: number;
  from: number;
  /** Open time of the newest stored closed candle after the fetch, or null. */
  last_ts: number | null;
}

export interface FetchDeps extends Pick<RetryDeps, 'sleep' | 'random' | 'onRetry'> {
  policy: RetryPolicy;
  classify: (e: unknown) => Classified;
  /** Our clock (ms). */
  now?: () => number;
  pageLimit?: number;
  defaultHistoryBars?: number;
  onPage?: (info: { symbol: string; stored: number; cursor: number; until: number }) => void;
  /** Shared rate limits (rate-gate.ts); none beyond ccxt's own by default. */
  gate?: RateGate;
}

/**
 * Fetches closed candles page by page and upserts each page in its own transaction, so a
 * killed fetch resumes from the last stored candle with no gap and no duplicate. A candle
 * counts as closed only when both our clock and the exchange's say so (clock skew never
 * lets a still-open candle in).
 */
export async function fetchCandles(
  db: Db,
  ex: CcxtExchange,
  req: FetchCandlesRequest,
  deps: FetchDeps,
): Promise<FetchCandlesResult> {
  const tf = parseTimeframe(req.timeframe);
  const now = deps.now ?? Date.now;
  const limit = deps.pageLimit ?? 1000;
  const key = { exchange: req.exchange, symbol: req.symbol, timeframe: req.timeframe };
  let requests = 0;
  const call = <T>(what: string, endpoint: Endpoint | (() => Endpoint | null), fn: () => Promise<T>) =>
    withRetry(what, () => (requests++, checkedAnswer(ex, fn)), deps.policy, {
      ...deps,
      limit: limitFor(deps.gate ?? localGate, ex.id, endpoint),
    });

  const loadMarkets = marketsLoader(ex);
  const markets = await call(`loading ${req.exchange} markets`, loadMarkets.endpoint, loadMarkets);
  if (!markets[req.symbol])
    throw new TraderError(
      'BAD_INPUT',
      `${req.symbol} is not listed on ${req.exchange} (spot); check the symbol with \`trader data markets --exchange ${req.exchange}\`.`,
    );
  const exchangeNow = ex.has.fetchTime
    ? await call(`${req.exchange} server time`, 'time', async () => {
        const t = await ex.fetchTime();
        if (typeof t !== 'number' || !Number.isFinite(t))
          throw new TraderError('TRANSIENT', `${req.exchange} returned no server time`);
        return t;
      })
    : undefined;
  const closedBy = Math.min(now(), exchangeNow ?? Infinity);
  const until = Math.min(req.until ?? Infinity, closedBy);
  const cached = await lastCandleTs(db, key);
  let cursor =
    req.since ??
    (cached === null ? Math.floor((until - (deps.defaultHistoryBars ?? 1000) * tf) / tf) * tf : cached + tf);
  if (cached !== null && cached >= cursor) cursor = cached + tf;
  const from = cursor;
  await db.transaction((tx) => ensureInstrument(tx, req.exchange, req.symbol));

  let stored = 0;
  let pages = 0;
  // An exchange that keeps answering the same page would loop forever; a correct one needs at most this many pages.
  const maxPages = Math.ceil((until - cursor) / tf / Math.max(1, limit)) * 4 + 10;
  while (cursor < until && cursor + tf <= closedBy) {
    // Between pages (each page is stored in its own transaction) is where SIGTERM stops a download.
    throwIfStopping();
    if (pages >= maxPages)
      throw new TraderError(
        'TRANSIENT',
        `${req.exchange} ${req.symbol}: pages do not advance past ${new Date(cursor).toISOString()}; try again later.`,
      );
    const what = `${req.exchange} ${req.symbol} ${req.timeframe} candles from ${new Date(cursor).toISOString()}`;
    const page = await call(what, 'klines', async () =>
      validateOhlcvPage(await ex.fetchOHLCV(req.symbol, req.timeframe, cursor, limit), req.timeframe, what),
    );
    pages++;
    if (page.ts.length === 0) break;
    const closed = keepClosed(page, cursor, until, closedBy, tf);
    if (closed.ts.length > 0) {
      await db.transaction((tx) => upsertCandles(tx, key, closed));
      stored += closed.ts.length;
    }
    const next = page.ts.at(-1)! + tf;
    if (next <= cursor)
      throw new TraderError('TRANSIENT', `${what}: the exchange answered with older candles; try again later.`);
    cursor = next;
    deps.onPage?.({ symbol: req.symbol, stored, cursor, until });
  }
  return { symbol: req.symbol, stored, pages, requests, from, last_ts: await lastCandleTs(db, key) };
}
