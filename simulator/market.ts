/**
 * Market model of the Binance stand-in: candles per interval, exchange filters, the clock
 * rule (no candle after now; the candle containing now is served still open), and
 * Binance's number formatting.
 */
import type { StandInCandle } from './csv.ts';

export const BINANCE_INTERVALS = [
  '1s',
  '1m',
  '3m',
  '5m',
  '15m',
  '30m',
  '1h',
  '2h',
  '4h',
  '6h',
  '8h',
  '12h',
  '1d',
  '3d',
  '1w',
  '1M',
] as const;
export type BinanceInterval = (typeof BINANCE_INTERVALS)[number];

const MINUTE = 60_000;
const FIXED_MS: Record<Exclude<BinanceInterval, '1M'>, number> = {
  '1s': 1000,
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '2h': 120 * MINUTE,
  '4h': 240 * MINUTE,
  '6h': 360 * MINUTE,
  '8h': 480 * MINUTE,
  '12h': 720 * MINUTE,
  '1d': 1440 * MINUTE,
  '3d': 3 * 1440 * MINUTE,
  '1w': 7 * 1440 * MINUTE,
};

export interface StandInMarket {
  /** unified symbol, e.g. 'BTC/USDT' (exchange id becomes 'BTCUSDT') */
  symbol: string;
  /** candles per Binance interval ('1h', '1d', ...), ascending by open time */
  candles: Map<string, readonly StandInCandle[]>;
  /** PRICE_FILTER tickSize, e.g. 0.01 */
  tickSize: number;
  /** LOT_SIZE stepSize, e.g. 0.00001 */
  stepSize: number;
  /** LOT_SIZE minQty */
  minQty: number;
  /** NOTIONAL minNotional (quote currency) */
  minNotional: number;
  /** LOT_SIZE maxQty; default 9000 */
  maxQty?: number;
  /** PRICE_FILTER minPrice/maxPrice; default tickSize / 1000000 */
  minPrice?: number;
  maxPrice?: number;
  /** default 'TRADING' */
  status?: 'TRADING' | 'BREAK' | 'HALT';
}

export function isInterval(s: string): s is BinanceInterval {
  return (BINANCE_INTERVALS as readonly string[]).includes(s);
}

/** Open time of the next candle after one opening at `ts`. */
export function intervalEnd(ts: number, interval: BinanceInterval): number {
  if (interval !== '1M') return ts + FIXED_MS[interval];
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export function marketId(symbol: string): string {
  return symbol.replace('/', '');
}

export function splitSymbol(symbol: string): [string, string] {
  const [base, quote] = symbol.split('/');
  if (base === undefined || quote === undefined) throw new Error(`bad symbol ${symbol}`);
  return [base, quote];
}

/** Binance prints decimals with 8 places ("42283.58000000"); exact round trip is kept. */
export function fmt(x: number): string {
  const s = x.toFixed(8);
  return Number(s) === x ? s : String(x);
}

function decimalsOf(step: number): number {
  const s = fmt(step).replace(/0+$/, '');
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function roundTo(x: number, step: number): number {
  return Number((Math.round(x / step) * step).toFixed(decimalsOf(step)));
}

/**
 * The still-open candle at `now`: elapsed fraction f of the interval; close moves from
 * open toward the final close by f, the wicks beyond open/close grow by f, volume is f of
 * the final volume (prices rounded to tickSize, volume to stepSize). At f=1 it equals the final candle.
 */
export function partialCandle(
  c: StandInCandle,
  interval: BinanceInterval,
  now: number,
  m: Pick<StandInMarket, 'tickSize' | 'stepSize'>,
): StandInCandle {
  const f = Math.min(1, Math.max(0, (now - c.ts) / (intervalEnd(c.ts, interval) - c.ts)));
  const close = roundTo(c.open + (c.close - c.open) * f, m.tickSize);
  const top = Math.max(c.open, close);
  const bottom = Math.min(c.open, close);
  const high = Math.max(top, roundTo(top + (c.high - Math.max(c.open, c.close)) * f, m.tickSize));
  const low = Math.min(bottom, roundTo(bottom - (Math.min(c.open, c.close) - c.low) * f, m.tickSize));
  return { ts: c.ts, open: c.open, high, low, close, volume: roundTo(c.volume * f, m.stepSize) };
}

function firstIndexAtOrAfter(rows: readonly StandInCandle[], ts: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid] as StandInCandle).ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface CandleQuery {
  startTime?: number;
  endTime?: number;
  limit: number;
}

/**
 * Candles as Binance serves them at `now`: open time in [startTime, endTime], none opening
 * after now, the one containing now partial; with startTime the first `limit`, otherwise the
 * last `limit`.
 */
export function candlesAt(m: StandInMarket, interval: BinanceInterval, now: number, q: CandleQuery): StandInCandle[] {
  const rows = m.candles.get(interval) ?? [];
  const upper = Math.min(now, q.endTime ?? Infinity);
  const from = q.startTime === undefined ? 0 : firstIndexAtOrAfter(rows, q.startTime);
  const to = firstIndexAtOrAfter(rows, upper + 1); // exclusive; rows with ts <= upper
  if (to <= from) return [];
  const start = q.startTime === undefined ? Math.max(from, to - q.limit) : from;
  const end = Math.min(to, start + q.limit);
  const out = rows.slice(start, end);
  const last = out[out.length - 1];
  if (last !== undefined && intervalEnd(last.ts, interval) > now)
    out[out.length - 1] = partialCandle(last, interval, now, m);
  return out;
}

/** Binance kline row: [openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBase, takerQuote, "0"]. */
export function klineRow(
  c: StandInCandle,
  interval: BinanceInterval,
): [number, string, string, string, string, string, number, string, number, string, string, string] {
  const quote = c.volume * ((c.open + c.high + c.low + c.close) / 4);
  return [
    c.ts,
    fmt(c.open),
    fmt(c.high),
    fmt(c.low),
    fmt(c.close),
    fmt(c.volume),
    intervalEnd(c.ts, interval) - 1,
    fmt(Number(quote.toFixed(8))),
    Math.round(c.volume * 10),
    fmt(Number((c.volume / 2).toFixed(8))),
    fmt(Number((quote / 2).toFixed(8))),
    '0',
  ];
}

/** The finest interval a market has candles for. */
export function finestInterval(m: StandInMarket): BinanceInterval | undefined {
  let best: BinanceInterval | undefined;
  for (const k of m.candles.keys()) {
    if (!isInterval(k)) continue;
    if (best === undefined || intervalEnd(0, k) < intervalEnd(0, best)) best = k;
  }
  return best;
}
