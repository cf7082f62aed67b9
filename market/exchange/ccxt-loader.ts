import { isTraderError, TraderError } from '../../core/errors.ts';
import type { Classified } from './retry.ts';

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
  if (urls && typeof urls === 'object') return Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, rewriteHosts(v, origin)]));
  return urls;
}

/** A ccxt exchange by id, spot markets only, its rate limiter on. */
export async function openExchange(id: string, options: ExchangeOptions = {}): Promise<CcxtExchange> {
  const ccxt = await loadCcxt();
  if (!/^[a-z][a-z0-9_]*$/.test(id) || !Object.hasOwn(ccxt.exchanges, id)) {
    throw new TraderError('BAD_INPUT', `Unknown exchange '${id}': use a ccxt exchange id such as binance, kraken or coinbase.`);
  }
  const Klass = (ccxt.exchanges as unknown as Record<string, new (config: object) => CcxtExchange>)[id]!;
  const exchange = new Klass({
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 10_000,
    // Spot only: otherwise loading markets also asks margin, futures and wallet endpoints.
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false, adjustForTimeDifference: false },
  });
  if (options.sandbox) {
    if (!exchange.urls || !(exchange.urls as Record<string, unknown>).test) {
      throw new TraderError('BAD_INPUT', `Exchange '${id}' has no testnet in ccxt; drop --sandbox.`);
    }
    exchange.setSandboxMode(true);
  }
  if (options.baseUrl) {
    const origin = new URL(options.baseUrl).origin;
    (exchange.urls as Record<string, unknown>).api = rewriteHosts((exchange.urls as Record<string, unknown>).api, origin);
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

/**
 * A loadMarkets call to retry: ccxt turns a malformed answer into empty markets instead of
 * throwing, so empty counts as a transient fault, and every retry reloads.
 */
export function marketsLoader(ex: CcxtExchange, reloadFirst = false) {
  let reload = reloadFirst;
  return async () => {
    const markets = await ex.loadMarkets(reload);
    reload = true;
    if (Object.keys(markets).length === 0) throw new TraderError('TRANSIENT', `${ex.id} returned no markets`);
    return markets;
  };
}
