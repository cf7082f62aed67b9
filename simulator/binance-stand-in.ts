/**
 * Binance spot REST stand-in on 127.0.0.1 for tests that drive the real ccxt library,
 * plus a CoinGecko /global stand-in. See simulator/README.md.
 */
import { FaultController } from './faults.ts';
import type { StandInMarket } from './market.ts';
import { startStandInServer, type RequestLog, type Route } from './server.ts';
import { binanceFaultBodies } from './routes/binance-errors.ts';
import { exchangeInfoRoutes } from './routes/exchange-info.ts';
import { marketDataRoutes } from './routes/market-data.ts';
import {
  coinGeckoFaultBodies,
  coinGeckoRoutes,
  defaultCoinGeckoGlobal,
  type CoinGeckoGlobal,
} from './routes/coingecko.ts';

export { loadCsvCandles, parseCsvCandles, fromColumnar, type StandInCandle } from './csv.ts';
export { FaultController, type FaultSpec, type FaultScope, type FaultHandle, type FaultKind } from './faults.ts';
export {
  partialCandle,
  candlesAt,
  intervalEnd,
  marketId,
  klineRow,
  type StandInMarket,
  type BinanceInterval,
} from './market.ts';
export type { RequestLog, Route, RouteContext, RouteResult } from './server.ts';
export type { CoinGeckoGlobal } from './routes/coingecko.ts';

export interface BinanceStandInOptions {
  markets: StandInMarket[];
  /** the stand-in's clock (ms); default Date.now */
  now?: () => number;
  /** share a controller between servers; default a new one */
  faults?: FaultController;
  /** more routes (the simulator's signed account and order endpoints); they win over built-ins */
  routes?: Route[];
  /** the price tickers report (the simulator's last price); default the candles' last close */
  lastPrice?: (symbol: string) => number;
}

export interface BinanceStandIn {
  /** http://127.0.0.1:PORT */
  url: string;
  faults: FaultController;
  /** every request, in arrival order (live array) */
  requests: RequestLog[];
  close(): Promise<void>;
}

export async function startBinanceStandIn(options: BinanceStandInOptions): Promise<BinanceStandIn> {
  const routes = [
    ...marketDataRoutes(options.markets, options.lastPrice),
    ...exchangeInfoRoutes(options.markets),
    ...(options.routes ?? []),
  ];
  let weight = 0;
  const server = await startStandInServer({
    routes,
    now: options.now ?? Date.now,
    bodies: binanceFaultBodies,
    extraHeaders: () => ({ 'x-mbx-used-weight': String(++weight), 'x-mbx-used-weight-1m': String(weight) }),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  return server;
}

/** Every `urls.api` key of ccxt 4.5 binance, with the path each real URL carries. */
const BINANCE_API_PATHS: Record<string, string> = {
  sapi: '/sapi/v1',
  sapiV2: '/sapi/v2',
  sapiV3: '/sapi/v3',
  sapiV4: '/sapi/v4',
  dapiPublic: '/dapi/v1',
  dapiPrivate: '/dapi/v1',
  dapiPrivateV2: '/dapi/v2',
  dapiData: '/futures/data',
  eapiPublic: '/eapi/v1',
  eapiPrivate: '/eapi/v1',
  fapiPublic: '/fapi/v1',
  fapiPublicV2: '/fapi/v2',
  fapiPublicV3: '/fapi/v3',
  fapiPrivate: '/fapi/v1',
  fapiPrivateV2: '/fapi/v2',
  fapiPrivateV3: '/fapi/v3',
  fapiData: '/futures/data',
  public: '/api/v3',
  private: '/api/v3',
  v1: '/api/v1',
  papi: '/papi/v1',
  papiV2: '/papi/v2',
};

/**
 * Constructor config pointing `new ccxt.binance(config)` at the stand-in: every urls.api
 * entry rewritten to `url`, spot markets only, no currencies/margin/time-difference calls.
 * Merge your own keys (timeout, rateLimit, ...) on top.
 */
export function ccxtBinanceOptions(url: string): {
  urls: { api: Record<string, string> };
  options: Record<string, unknown>;
} {
  const api: Record<string, string> = {};
  for (const [key, path] of Object.entries(BINANCE_API_PATHS)) api[key] = url + path;
  return {
    urls: { api },
    options: {
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: false,
      defaultType: 'spot',
    },
  };
}

/** Rewrites the host of every string in `exchange.urls.api` (any ccxt exchange) to `url`. */
export function pointCcxtAt(exchange: { urls: Record<string, unknown> }, url: string): void {
  const api = exchange.urls.api;
  if (typeof api !== 'object' || api === null) throw new Error('exchange.urls.api is not an object');
  const rewrite = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const u = new URL(value);
      return url + u.pathname.replace(/\/$/, '');
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    }
    return value;
  };
  exchange.urls.api = rewrite(api);
}

export interface CoinGeckoStandInOptions {
  global?: Partial<CoinGeckoGlobal>;
  now?: () => number;
  faults?: FaultController;
}

export interface CoinGeckoStandIn extends BinanceStandIn {
  /** merge new values into what /api/v3/global serves */
  setGlobal(patch: Partial<CoinGeckoGlobal>): void;
}

/** CoinGecko-shaped server: GET /api/v3/global and /api/v3/ping; same faults and log as Binance. */
export async function startCoinGeckoStandIn(options: CoinGeckoStandInOptions = {}): Promise<CoinGeckoStandIn> {
  const state = { global: { ...defaultCoinGeckoGlobal(), ...(options.global ?? {}) } };
  const server = await startStandInServer({
    routes: coinGeckoRoutes(state),
    now: options.now ?? Date.now,
    bodies: coinGeckoFaultBodies,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  return {
    ...server,
    setGlobal: (patch) => {
      state.global = { ...state.global, ...patch };
    },
  };
}
