import { AsyncLocalStorage } from 'node:async_hooks';
import { TraderError } from '../../core/errors.ts';
import type { AttemptLimit } from './retry.ts';

/**
 * Rate limits shared by the processes that call one exchange from one IP and account. A
 * single process needs none beyond ccxt's own limiter (`enableRateLimit`, always on), so
 * `localGate` does nothing; workers and distributed coordinators run under `sharedGate`
 * (rate-buckets-repo.ts), token buckets in the database that every worker draws from.
 */
export interface RateGate {
  /** Resolves once `cost` tokens of the exchange's `bucket` are ours to spend. */
  take(exchange: string, bucket: string, cost: number): Promise<void>;
  /** The exchange asked for `ms` of silence (a 429 or 418 with Retry-After): every taker waits it out. */
  blockedFor(exchange: string, ms: number): Promise<void>;
}

/** A take that would wait past its limit; the request was not sent (the LIVE port reports it as rate_limited). */
export class RateLimitWait extends TraderError {
  constructor(message: string) {
    super('TRANSIENT', message);
    this.name = 'RateLimitWait';
  }
}

export const localGate: RateGate = {
  take: async () => {},
  blockedFor: async () => {},
};

/**
 * The gate is scoped, not passed down: exchange sessions are opened deep inside runs, candle
 * top-ups and LIVE brokers (each with its own options), and only the process entry points
 * (`trader worker`, a distributed run's opener) know the gate. A scope rather than a
 * process-wide setter, so a server that opens a distributed run keeps its local runs local.
 */
const scope = new AsyncLocalStorage<RateGate>();

export function withRateGate<T>(gate: RateGate, fn: () => Promise<T>): Promise<T> {
  return scope.run(gate, fn);
}

/** The gate of the current scope; exchange sessions take it when they open. */
export function currentRateGate(): RateGate {
  return scope.getStore() ?? localGate;
}

/** The requests trader makes, by what they cost. */
export type Endpoint =
  | 'time'
  | 'exchangeInfo'
  | 'klines'
  | 'ticker'
  | 'account'
  | 'order'
  | 'oco'
  | 'cancel'
  | 'queryOrder'
  | 'openOrders'
  | 'myTrades';

/**
 * Request weight where it is not 1. Binance: the "Weight" of each endpoint in its spot REST API
 * docs (developers.binance.com/docs/binance-spot-api-docs/rest-api, general, market data,
 * trading and account endpoints), the same figures as ccxt's binance cost table (cost = 0.2 ×
 * weight): exchangeInfo 20, klines 2, ticker/24hr for one symbol 2, account 20, GET order 4,
 * openOrders for one symbol 6, myTrades 20. New and cancelled orders, OCO lists and time weigh 1.
 */
const weights: Record<string, Partial<Record<Endpoint, number>>> = {
  binance: { exchangeInfo: 20, klines: 2, ticker: 2, account: 20, queryOrder: 4, openOrders: 6, myTrades: 20 },
};

/** Orders a request places, counted against the `orders` bucket (Binance: an OCO list is 2 orders). */
const ordersPlaced: Partial<Record<Endpoint, number>> = { order: 1, oco: 2 };

/** What one request costs, per bucket; an exchange or endpoint not listed weighs 1. */
export function requestCosts(exchange: string, endpoint: Endpoint): { bucket: string; cost: number }[] {
  const orders = ordersPlaced[endpoint];
  return [
    ...(orders ? [{ bucket: 'orders', cost: orders }] : []),
    { bucket: 'request_weight', cost: weights[exchange]?.[endpoint] ?? 1 },
  ];
}

/**
 * A request's share of the gate for withRetry: its tokens before each attempt, and the
 * exchange's Retry-After passed on. `endpoint` may be a function, asked at each attempt, that
 * says null when no request will leave (ccxt answers loadMarkets from its cache).
 */
export function limitFor(gate: RateGate, exchange: string, endpoint: Endpoint | (() => Endpoint | null)): AttemptLimit {
  return {
    before: async () => {
      const e = typeof endpoint === 'function' ? endpoint() : endpoint;
      if (e === null) return;
      for (const { bucket, cost } of requestCosts(exchange, e)) await gate.take(exchange, bucket, cost);
    },
    blockedFor: (ms) => gate.blockedFor(exchange, ms),
  };
}
