import { isTraderError, TraderError } from '../../core/errors.ts';
import type { Classified } from './retry.ts';
import type { Endpoint } from './rate-gate.ts';
import { quote } from '../../core/quote.ts';

/**
 * ccxt is imported only here, lazily: importing it costs ~1.2 s and ~470 MB, so runs
 * that fetch nothing never load it.
 */
type Ccxt = typeof import('ccxt');
let loaded: Promise<Ccxt> | undefined;

export function loadCcxt(): Promise<Ccxt> {
  loaded ??= import('ccxt');
  return loaded;
}

export type CcxtExchange = InstanceType<Ccxt['Exchange']>;

export interface ExchangeOptions {
  sandbox?: boolean;
  /** Rewrites every API host to this origin (tests' stand-in, or a proxy). */
  baseUrl?: string;
  timeoutMs?: number;
}

function rewriteHosts(urls: unknown, origin: string): unknown {
  if (typeof urls === 'string') {
    try {
      const u = new URL(urls);
      return `${origin}${u.pathname}${u.search}`;
    } catch {
      return urls;
    }
  }
  if (urls && typeof urls === 'object')
    return Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, rewriteHosts(v, origin)]));
  return urls;
}

/** A ccxt exchange by id, spot markets only, its rate limiter on. */
export async function openExchange(id: string, options: ExchangeOptions = {}): Promise<CcxtExchange> {
  const ccxt = await loadCcxt();
  if (!/^[a-z][a-z0-9_]*$/.test(id) || !Object.hasOwn(ccxt.exchanges, id)) {
    throw new TraderError(
      'BAD_INPUT',
      `Unknown exchange ${quote(id)}: use a ccxt exchange id such as binance, kraken or coinbase.`,
    );
  }
  const Klass = (ccxt.exchanges as unknown as Record<string, new (config: object) => CcxtExchange>)[id]!;
  const exchange = new Klass({
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 10_000,
    // Spot only: otherwise loading markets also asks margin, futures and wallet endpoints.
    options: {
      defaultType: 'spot',
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: false,
    },
  });
  if (options.sandbox) {
    if (!exchange.urls || !(exchange.urls as Record<string, unknown>).test) {
      throw new TraderError('BAD_INPUT', `Exchange ${quote(id)} has no testnet in ccxt; drop --sandbox.`);
    }
    exchange.setSandboxMode(true);
  }
  if (options.baseUrl) {
    const origin = new URL(options.baseUrl).origin;
    (exchange.urls as Record<string, unknown>).api = rewriteHosts(
      (exchange.urls as Record<string, unknown>).api,
      origin,
    );
  }
  return exchange;
}

function retryAfterMs(exchange: CcxtExchange): number | undefined {
  const headers = (exchange as unknown as { last_response_headers?: Record<string, string> }).last_response_headers;
  const raw = headers?.['Retry-After'] ?? headers?.['retry-after'];
  const seconds = Number(raw);
  return raw !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * ccxt's own hierarchy decides: OperationFailed (network, rate limit, bad response) is worth
 * retrying; so are our own TRANSIENT errors (answers ccxt did not reject but we found malformed).
 */
export async function classifierFor(exchange: CcxtExchange): Promise<(e: unknown) => Classified> {
  const ccxt = await loadCcxt();
  return (e) => {
    if (isTraderError(e) && e.code === 'TRANSIENT') return { kind: 'transient' };
    if (e instanceof ccxt.RateLimitExceeded || e instanceof ccxt.DDoSProtection) {
      const wait = retryAfterMs(exchange);
      return wait === undefined ? { kind: 'rate_limited' } : { kind: 'rate_limited', retryAfterMs: wait };
    }
    if (e instanceof ccxt.OperationFailed) return { kind: 'transient' };
    return { kind: 'permanent' };
  };
}

function isJson(body: unknown): boolean {
  if (typeof body !== 'string') return true;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs one ccxt call and refuses its result when the HTTP body behind it was not JSON:
 * ccxt turns an unparseable body into an empty list, empty markets or undefined instead of
 * throwing, so without this check a garbled answer would pass as "no data".
 */
export async function checkedAnswer<T>(ex: CcxtExchange, fn: () => Promise<T>): Promise<T> {
  const last = ex as unknown as { last_http_response?: unknown };
  // Cleared first: a call answered from ccxt's cache makes no request and must not be judged by an older body.
  last.last_http_response = undefined;
  const value = await fn();
  if (!isJson(last.last_http_response)) {
    throw new TraderError('TRANSIENT', `${ex.id} answered with a body that is not valid JSON`);
  }
  return value;
}

/**
 * A loadMarkets call to retry: every retry reloads, and no markets at all counts as a transient
 * fault. Its `endpoint` is what the next call costs a rate limit (rate-gate.ts): nothing when
 * ccxt will answer from the markets it holds.
 */
export function marketsLoader(ex: CcxtExchange, reloadFirst = false) {
  let reload = reloadFirst;
  const load = async () => {
    const thisReload = reload;
    reload = true; // set before the call: a failed attempt must make the next one reload
    const markets = await checkedAnswer(ex, () => ex.loadMarkets(thisReload));
    if (Object.keys(markets).length === 0) throw new TraderError('TRANSIENT', `${ex.id} returned no markets`);
    return markets;
  };
  const endpoint = (): Endpoint | null => (reload || !ex.markets ? 'exchangeInfo' : null);
  return Object.assign(load, { endpoint });
}
