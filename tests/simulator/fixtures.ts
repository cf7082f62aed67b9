/** Sample markets (data/sample, Binance's real BTCUSDT/ETHUSDT filters) and ccxt factories for simulator tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { binance as BinanceClass } from 'ccxt';
import {
  ccxtBinanceOptions,
  loadCsvCandles,
  type StandInCandle,
  type StandInMarket,
} from '../../simulator/binance-stand-in.ts';
import {
  ccxtSimulatorOptions,
  type BinanceSimulator,
  type SimMarketConfig,
} from '../../simulator/binance-simulator.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cache = new Map<string, StandInCandle[]>();

export function sampleCandles(base: 'BTC' | 'ETH'): StandInCandle[] {
  let rows = cache.get(base);
  if (rows === undefined) {
    rows = loadCsvCandles(path.join(root, 'data/sample', `binance_${base}-USDT_1h_2024.csv`));
    cache.set(base, rows);
  }
  return rows;
}

export function sampleMarkets(): StandInMarket[] {
  return [
    {
      symbol: 'BTC/USDT',
      candles: new Map([['1h', sampleCandles('BTC')]]),
      tickSize: 0.01,
      stepSize: 0.00001,
      minQty: 0.00001,
      minNotional: 5,
    },
    {
      symbol: 'ETH/USDT',
      candles: new Map([['1h', sampleCandles('ETH')]]),
      tickSize: 0.01,
      stepSize: 0.0001,
      minQty: 0.0001,
      minNotional: 5,
    },
  ];
}

export type Ccxt = typeof import('ccxt');

let ccxtModule: Promise<Ccxt> | undefined;
/** ccxt is heavy (~1 s to import): load it once, lazily. */
export function loadCcxt(): Promise<Ccxt> {
  ccxtModule ??= import('ccxt');
  return ccxtModule;
}

/** A real ccxt.binance pointed at the stand-in, fast rate limiter, short timeout. */
export async function binanceAt(url: string, extra: Record<string, unknown> = {}): Promise<BinanceClass> {
  const { binance } = await loadCcxt();
  return new binance({ ...ccxtBinanceOptions(url), enableRateLimit: true, rateLimit: 5, timeout: 2000, ...extra });
}

/** The rejection of `p` (fails the test if `p` resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** BTC/USDT with Binance's real filters, no candles, trading at 50,000. */
export function simBtcMarket(): SimMarketConfig {
  return {
    symbol: 'BTC/USDT',
    candles: new Map(),
    tickSize: 0.01,
    stepSize: 0.00001,
    minQty: 0.00001,
    minNotional: 5,
    price: 50_000,
  };
}

/** A real ccxt.binance signed in to the simulator with its test keys, on its clock. */
export async function binanceSignedAt(
  sim: BinanceSimulator,
  extra: Record<string, unknown> = {},
): Promise<BinanceClass> {
  const { binance } = await loadCcxt();
  return new binance({ ...ccxtSimulatorOptions(sim), enableRateLimit: true, rateLimit: 5, timeout: 2000, ...extra });
}
