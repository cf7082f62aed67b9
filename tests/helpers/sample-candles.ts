import fs from 'node:fs';
import path from 'node:path';
import { sampleDataDir } from '../../core/paths.ts';
import type { ContextValue } from '../../sdk/index.ts';

export type Candles = ContextValue<'candles'>;

const cache = new Map<string, Candles>();

/** Reads a sample CSV (timestamp,open,high,low,close,volume) into the columnar CandleSeries shape. */
function load(base: 'BTC' | 'ETH'): Candles {
  const hit = cache.get(base);
  if (hit) return hit;
  const file = path.join(sampleDataDir, `binance_${base}-USDT_1h_2024.csv`);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines.shift();
  if (header?.trim() !== 'timestamp,open,high,low,close,volume')
    throw new Error(`unexpected header in ${file}: ${header}`);
  const s: Candles = {
    exchange: 'binance',
    symbol: `${base}/USDT`,
    timeframe: '1h',
    ts: [],
    open: [],
    high: [],
    low: [],
    close: [],
    volume: [],
  };
  for (const line of lines) {
    const [t, o, h, l, c, v] = line.split(',').map(Number) as [number, number, number, number, number, number];
    s.ts.push(t);
    s.open.push(o);
    s.high.push(h);
    s.low.push(l);
    s.close.push(c);
    s.volume.push(v);
  }
  cache.set(base, s);
  return s;
}

/** Sample 2024 1h candles, optionally only those in [from, to) (candle indexes). Always a fresh copy. */
export function sampleCandles(opts: { base?: 'BTC' | 'ETH'; from?: number; to?: number } = {}): Candles {
  return sliceCandles(load(opts.base ?? 'BTC'), opts.from ?? 0, opts.to);
}

export function sliceCandles(s: Candles, from: number, to?: number): Candles {
  return {
    exchange: s.exchange,
    symbol: s.symbol,
    timeframe: s.timeframe,
    ts: s.ts.slice(from, to),
    open: s.open.slice(from, to),
    high: s.high.slice(from, to),
    low: s.low.slice(from, to),
    close: s.close.slice(from, to),
    volume: s.volume.slice(from, to),
  };
}

/** Synthetic series: one candle per hour from 2024-01-01, OHLC built from closes with a fixed half-range. */
export function syntheticCandles(
  closes: readonly number[],
  opts: { range?: number; volume?: number; startTs?: number } = {},
): Candles {
  const range = opts.range ?? 0;
  const t0 = opts.startTs ?? Date.UTC(2024, 0, 1);
  return {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    ts: closes.map((_, i) => t0 + i * 3_600_000),
    open: closes.map((c, i) => (i === 0 ? c : closes[i - 1]!)),
    high: closes.map((c, i) => Math.max(c, i === 0 ? c : closes[i - 1]!) + range),
    low: closes.map((c, i) => Math.min(c, i === 0 ? c : closes[i - 1]!) - range),
    close: [...closes],
    volume: closes.map(() => opts.volume ?? 100),
  };
}
