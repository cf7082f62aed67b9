/**
 * A Binance spot exchange on 127.0.0.1 for tests and demos: the public market data of the
 * stand-in plus the signed account and trade endpoints, a matching engine driven by a
 * price path the caller sets, a "website" to act by hand, switchable faults and a request
 * log. The real ccxt is pointed at it (ccxtSimulatorOptions). See simulator/README.md.
 */
import { startBinanceStandIn, ccxtBinanceOptions, type BinanceStandIn } from './binance-stand-in.ts';
import { Balances, type AssetBalance } from './binance/balances.ts';
import { MatchingEngine, type FeeSchedule } from './binance/engine.ts';
import { isOpen, type SimOrder, type SimOrderList, type SimTrade } from './binance/orders.ts';
import {
  SpotAccount,
  type LateFill,
  type NewOrderRequest,
  type SimMarket,
  type SimMarketConfig,
} from './binance/placement.ts';
import type { StandInCandle } from './csv.ts';
import type { FaultController } from './faults.ts';
import { candlesAt, finestInterval } from './market.ts';
import { accountRoutes } from './routes/account.ts';
import { orderRoutes } from './routes/orders.ts';

export type { AssetBalance, FeeSchedule, LateFill, NewOrderRequest, SimMarketConfig, SimOrder, SimOrderList, SimTrade };
export { BinanceReject } from './binance/filters.ts';

/** Test credentials: obviously not real keys. */
export const SIM_API_KEY = 'sim-key';
export const SIM_SECRET = 'sim-secret';

/** Binance error bodies for `faults.reject(400, body, scope)`. */
export const binanceRejections = {
  insufficientBalance: { code: -2010, msg: 'Account has insufficient balance for requested action.' },
  unknownError: { code: -1000, msg: 'An unknown error occured while processing the request.' },
} as const;

export interface BinanceSimulatorOptions {
  markets: SimMarketConfig[];
  /** free balance per asset at start, e.g. { USDT: 10_000 } */
  balances?: Record<string, number>;
  /** default SIM_API_KEY / SIM_SECRET */
  apiKey?: string;
  secret?: string;
  /** the exchange's clock (ms): order and trade times, serverTime, the recvWindow check; default Date.now */
  now?: () => number;
  fees?: FeeSchedule;
  /** share a controller between servers; default a new one */
  faults?: FaultController;
}

/** Acting on the account by hand, as a user on the exchange's website would (no API key, not logged). */
export interface SimWebsite {
  placeOrder(req: NewOrderRequest): SimOrder;
  cancelOrder(symbol: string, orderId: number): void;
  /** cancels every open order (of one symbol, or all); returns them */
  cancelAll(symbol?: string): SimOrder[];
  /** cancels the symbol's open orders, then market-sells the free base rounded down to the step; undefined when that is below the filters (dust) */
  marketClose(symbol: string): SimOrder | undefined;
}

export interface BinanceSimulator extends BinanceStandIn {
  apiKey: string;
  secret: string;
  now(): number;
  price(symbol: string): number;
  /** moves the last price and matches the symbol's open orders; returns the trades made */
  setPrice(symbol: string, price: number): SimTrade[];
  /** base quantity filled per price level (market) or per price move (resting limits); Infinity = all */
  setLiquidity(symbol: string, qty: number): void;
  /** steps through each candle: open, low then high (high then low when it falls), close */
  replayCandles(symbol: string, candles: readonly StandInCandle[]): SimTrade[];
  /** sets an asset's free balance (what is locked by open orders stays) */
  setBalance(asset: string, free: number): void;
  balances(): Record<string, AssetBalance>;
  /** every order ever placed, oldest first (live records: read, do not write) */
  orders(symbol?: string): readonly SimOrder[];
  openOrders(symbol?: string): SimOrder[];
  trades(symbol?: string): readonly SimTrade[];
  orderLists(): readonly SimOrderList[];
  /** the next `orders` (default 1) API orders stay NEW until `queries` GETs of them or `priceSteps` price moves */
  lateFills(spec: LateFill): void;
  /** how many POST /api/v3/order (and OCO legs) carried this client order id: duplicates show here */
  orderPosts(clientOrderId: string): number;
  website: SimWebsite;
}

function simMarket(m: SimMarketConfig, now: number): SimMarket {
  const interval = finestInterval(m);
  const last = interval === undefined ? undefined : candlesAt(m, interval, now, { limit: 1 })[0]?.close;
  const price = m.price ?? last;
  if (price === undefined) throw new Error(`market ${m.symbol} needs a price or candles`);
  return { ...m, price, liquidity: m.liquidity ?? Infinity };
}

export async function startBinanceSimulator(options: BinanceSimulatorOptions): Promise<BinanceSimulator> {
  const now = options.now ?? Date.now;
  const creds = { apiKey: options.apiKey ?? SIM_API_KEY, secret: options.secret ?? SIM_SECRET };
  const markets = new Map(options.markets.map((m) => [m.symbol, simMarket(m, now())]));
  const fees: Required<FeeSchedule> = {
    makerRate: 0.001,
    takerRate: 0.001,
    asset: 'received',
    bnbPrice: 600,
    ...options.fees,
  };
  const balances = new Balances(options.balances);
  const engine = new MatchingEngine(markets, balances, now, fees);
  const account = new SpotAccount(engine);
  const server = await startBinanceStandIn({
    markets: options.markets,
    now,
    routes: [...accountRoutes(creds, engine), ...orderRoutes(creds, account)],
    lastPrice: (symbol) => engine.price(symbol),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const bySymbol = <T extends { symbol: string }>(rows: readonly T[], symbol?: string) =>
    symbol === undefined ? rows : rows.filter((r) => r.symbol === symbol);

  const website: SimWebsite = {
    placeOrder: (req) => account.place(req, 'website').order,
    cancelOrder: (symbol, orderId) => void account.cancel(symbol, { orderId }),
    cancelAll: (symbol) => {
      const open = bySymbol(engine.orders, symbol).filter(isOpen);
      for (const o of open) if (isOpen(o)) account.cancel(o.symbol, { orderId: o.orderId });
      return open;
    },
    marketClose: (symbol) => {
      website.cancelAll(symbol);
      const m = engine.market(symbol);
      const base = symbol.split('/')[0] as string;
      const qty = Number((Math.floor(balances.get(base).free / m.stepSize + 1e-9) * m.stepSize).toFixed(8));
      if (qty < m.minQty || qty * engine.price(symbol) < m.minNotional) return undefined;
      return account.place({ symbol, side: 'SELL', type: 'MARKET', quantity: qty }, 'website').order;
    },
  };

  return {
    ...server,
    apiKey: creds.apiKey,
    secret: creds.secret,
    now,
    price: (symbol) => engine.price(symbol),
    setPrice: (symbol, price) => engine.setPrice(symbol, price),
    setLiquidity: (symbol, qty) => {
      if (!(qty > 0)) throw new Error(`liquidity of ${symbol} must be > 0`);
      engine.market(symbol).liquidity = qty;
    },
    replayCandles: (symbol, candles) =>
      candles.flatMap((c) =>
        (c.close >= c.open ? [c.open, c.low, c.high, c.close] : [c.open, c.high, c.low, c.close]).flatMap((p) =>
          engine.setPrice(symbol, p),
        ),
      ),
    setBalance: (asset, free) => balances.set(asset, free, balances.get(asset).locked),
    balances: () => balances.snapshot(),
    orders: (symbol) => bySymbol(engine.orders, symbol),
    openOrders: (symbol) => bySymbol(engine.orders, symbol).filter(isOpen),
    trades: (symbol) => bySymbol(engine.trades, symbol),
    orderLists: () => engine.lists,
    lateFills: (spec) => account.lateFills(spec),
    orderPosts: (clientOrderId) =>
      server.requests.filter(
        (r) =>
          r.method === 'POST' &&
          ((r.path === '/api/v3/order' && r.query.newClientOrderId === clientOrderId) ||
            (r.path === '/api/v3/orderList/oco' &&
              (r.query.aboveClientOrderId === clientOrderId || r.query.belowClientOrderId === clientOrderId))),
      ).length,
    website,
  };
}

/**
 * Constructor config for `new ccxt.binance(config)` against the simulator: every API URL
 * rewritten to it, its test credentials, and ccxt's clock (`milliseconds`, which stamps
 * signed requests) set to the simulator's, so an injected fixed clock passes the
 * recvWindow check. Merge your own keys (timeout, rateLimit, ...) on top.
 */
export function ccxtSimulatorOptions(
  sim: Pick<BinanceSimulator, 'url' | 'apiKey' | 'secret' | 'now'>,
): ReturnType<typeof ccxtBinanceOptions> & { apiKey: string; secret: string; milliseconds: () => number } {
  return { ...ccxtBinanceOptions(sim.url), apiKey: sim.apiKey, secret: sim.secret, milliseconds: () => sim.now() };
}
