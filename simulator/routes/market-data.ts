/** Binance spot public market data: ping, time, klines, ticker/24hr, ticker/price. */
import type { Route, RouteContext, RouteResult } from '../server.ts';
import {
  candlesAt,
  finestInterval,
  fmt,
  intervalEnd,
  isInterval,
  klineRow,
  marketId,
  type StandInMarket,
} from '../market.ts';
import { badParam, invalidInterval, invalidSymbol, mandatoryMissing } from './binance-errors.ts';

const DAY = 86_400_000;
export const KLINES_DEFAULT_LIMIT = 500;
export const KLINES_MAX_LIMIT = 1000;

function intParam(ctx: RouteContext, name: string): number | undefined | RouteResult {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?[0-9]{1,20}$/.test(raw)) return badParam(name);
  return Number(raw);
}

function isResult(x: unknown): x is RouteResult {
  return typeof x === 'object' && x !== null && 'status' in x;
}

function klines(markets: Map<string, StandInMarket>, ctx: RouteContext): RouteResult {
  const id = ctx.query.symbol;
  if (id === undefined || id === '') return mandatoryMissing('symbol');
  const m = markets.get(id.toUpperCase());
  if (m === undefined) return invalidSymbol();
  const interval = ctx.query.interval;
  if (interval === undefined || interval === '') return mandatoryMissing('interval');
  if (!isInterval(interval)) return invalidInterval();
  const startTime = intParam(ctx, 'startTime');
  const endTime = intParam(ctx, 'endTime');
  const limitRaw = intParam(ctx, 'limit');
  for (const p of [startTime, endTime, limitRaw]) if (isResult(p)) return p;
  const limit = Math.min(KLINES_MAX_LIMIT, Math.max(1, (limitRaw as number | undefined) ?? KLINES_DEFAULT_LIMIT));
  const q: { startTime?: number; endTime?: number; limit: number } = { limit };
  if (startTime !== undefined) q.startTime = startTime as number;
  if (endTime !== undefined) q.endTime = endTime as number;
  let rows = candlesAt(m, interval, ctx.now, q);
  if (ctx.shortPage !== undefined && rows.length > 1) {
    rows = rows.slice(0, Math.max(1, Math.floor(rows.length * ctx.shortPage)));
  }
  return { status: 200, body: rows.map((c) => klineRow(c, interval)) };
}

/** Rolling 24h statistics from the finest interval's candles up to now. */
export function ticker24hr(m: StandInMarket, now: number): Record<string, unknown> {
  const interval = finestInterval(m);
  const from = now - DAY;
  const rows =
    interval === undefined
      ? []
      : candlesAt(m, interval, now, {
          startTime: from - (intervalEnd(0, interval) - 1),
          limit: Number.MAX_SAFE_INTEGER,
        }).filter((c) => intervalEnd(c.ts, interval) > from);
  const before =
    interval === undefined ? [] : candlesAt(m, interval, now, { endTime: from - intervalEnd(0, interval), limit: 1 });
  const first = rows[0];
  const last = rows[rows.length - 1];
  const open = first?.open ?? 0;
  const lastPrice = last?.close ?? 0;
  const volume = rows.reduce((s, c) => s + c.volume, 0);
  const quoteVolume = rows.reduce((s, c) => s + c.volume * c.close, 0);
  const change = lastPrice - open;
  const r8 = (x: number) => fmt(Number(x.toFixed(8)));
  return {
    symbol: marketId(m.symbol),
    priceChange: r8(change),
    priceChangePercent: open === 0 ? '0.000' : ((change / open) * 100).toFixed(3),
    weightedAvgPrice: r8(volume === 0 ? 0 : quoteVolume / volume),
    prevClosePrice: r8(before[0]?.close ?? open),
    lastPrice: fmt(lastPrice),
    lastQty: fmt(m.minQty),
    bidPrice: r8(Math.max(0, lastPrice - m.tickSize)),
    bidQty: fmt(m.minQty * 10),
    askPrice: fmt(lastPrice),
    askQty: fmt(m.minQty * 10),
    openPrice: fmt(open),
    highPrice: fmt(rows.reduce((s, c) => Math.max(s, c.high), 0)),
    lowPrice: fmt(rows.length === 0 ? 0 : rows.reduce((s, c) => Math.min(s, c.low), Infinity)),
    volume: r8(volume),
    quoteVolume: r8(quoteVolume),
    openTime: from,
    closeTime: now,
    firstId: 1,
    lastId: Math.max(
      1,
      rows.reduce((s, c) => s + Math.round(c.volume * 10), 0),
    ),
    count: rows.reduce((s, c) => s + Math.round(c.volume * 10), 0),
  };
}

function selectMarkets(
  markets: Map<string, StandInMarket>,
  ctx: RouteContext,
): StandInMarket[] | RouteResult | StandInMarket {
  const one = ctx.query.symbol;
  if (one !== undefined) return markets.get(one.toUpperCase()) ?? invalidSymbol();
  const many = ctx.query.symbols;
  if (many === undefined) return [...markets.values()];
  let ids: unknown;
  try {
    ids = JSON.parse(many);
  } catch {
    return invalidSymbol();
  }
  if (!Array.isArray(ids)) return invalidSymbol();
  const out: StandInMarket[] = [];
  for (const id of ids) {
    const m = markets.get(String(id).toUpperCase());
    if (m === undefined) return invalidSymbol();
    out.push(m);
  }
  return out;
}

function tickers(
  markets: Map<string, StandInMarket>,
  ctx: RouteContext,
  shape: (m: StandInMarket) => unknown,
): RouteResult {
  const sel = selectMarkets(markets, ctx);
  if (isResult(sel)) return sel;
  return { status: 200, body: Array.isArray(sel) ? sel.map(shape) : shape(sel) };
}

/**
 * `lastPrice` (the simulator's matching price) replaces the candles' last close in the
 * tickers, so what ccxt's fetchTicker sees is the price orders fill at.
 */
export function marketDataRoutes(list: readonly StandInMarket[], lastPrice?: (symbol: string) => number): Route[] {
  const markets = new Map(list.map((m) => [marketId(m.symbol), m]));
  const ticker = (m: StandInMarket, now: number): Record<string, unknown> => {
    const t = ticker24hr(m, now);
    if (lastPrice === undefined) return t;
    const p = lastPrice(m.symbol);
    return { ...t, lastPrice: fmt(p), bidPrice: fmt(Number((p - m.tickSize).toFixed(8))), askPrice: fmt(p) };
  };
  return [
    { method: 'GET', path: '/api/v3/ping', handle: () => ({ status: 200, body: {} }) },
    { method: 'GET', path: '/api/v3/time', handle: (ctx) => ({ status: 200, body: { serverTime: ctx.serverTime } }) },
    { method: 'GET', path: '/api/v3/klines', paged: true, handle: (ctx) => klines(markets, ctx) },
    { method: 'GET', path: '/api/v3/uiKlines', paged: true, handle: (ctx) => klines(markets, ctx) },
    {
      method: 'GET',
      path: '/api/v3/ticker/24hr',
      handle: (ctx) => tickers(markets, ctx, (m) => ticker(m, ctx.now)),
    },
    {
      method: 'GET',
      path: '/api/v3/ticker/price',
      handle: (ctx) =>
        tickers(markets, ctx, (m) => ({
          symbol: marketId(m.symbol),
          price: ticker(m, ctx.now).lastPrice as string,
        })),
    },
  ];
}
