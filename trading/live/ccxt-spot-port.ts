import { z } from 'zod';
import { errorMessage, isTraderError } from '../../core/errors.ts';
import { type CcxtExchange, checkedAnswer, loadCcxt, marketsLoader } from '../../market/exchange/ccxt-loader.ts';
import { openExchangeSession } from '../../market/exchange/exchange-session.ts';
import { type RetryPolicy, withoutQueryStrings, withRetry } from '../../market/exchange/retry.ts';
import { type Endpoint, limitFor, RateLimitWait } from '../../market/exchange/rate-gate.ts';
import {
  type Balances,
  ExchangeFault,
  ExchangeFill,
  ExchangeOrder,
  type ExchangePort,
  ExchangeTrade,
  type FaultKind,
  MarketInfo,
  OcoRequest,
  OrderRequest,
} from './exchange-port.ts';

/**
 * The exchange port through ccxt, for spot accounts; written against Binance spot (the
 * only exchange the live broker is tested on), with the exchange id a parameter. All that
 * is Binance's own is in this file: the STOP_LOSS_LIMIT type name, the -2010 code of an
 * order refused for lack of balance, how a client order id is passed, and the OCO order
 * list endpoint (ccxt has no unified OCO call for spot: its implicit
 * privatePostOrderListOco; an exchange without it protects with a stop-loss-limit alone).
 */

export interface SpotCredentials {
  apiKey: string;
  secret: string;
}

type Ccxt = Awaited<ReturnType<typeof loadCcxt>>;

/** Binance codes ccxt does not map to the classes we act on (its -2010 is a plain InvalidOrder). */
function exchangeCode(message: string): number | undefined {
  const m = /"code"\s*:\s*(-?\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

function faultKind(ccxt: Ccxt, e: unknown): FaultKind {
  const code = exchangeCode(errorMessage(e));
  // Our shared rate limit gave up before sending anything.
  if (e instanceof RateLimitWait) return 'rate_limited';
  if (e instanceof ccxt.OrderNotFound || code === -2013) return 'not_found';
  if (e instanceof ccxt.InsufficientFunds || code === -2010) return 'insufficient_funds';
  if (e instanceof ccxt.InvalidNonce || code === -1021) return 'clock_skew';
  if (e instanceof ccxt.RateLimitExceeded || e instanceof ccxt.DDoSProtection) return 'rate_limited';
  // A definite answer from the exchange: ccxt's ExchangeError family (bad order, symbol, keys).
  if (e instanceof ccxt.ExchangeError) return 'rejected';
  // Network errors, 5xx, bad responses, bodies that are not JSON, answers ccxt could not
  // parse: nobody knows what the exchange did.
  return 'unknown_outcome';
}

const CcxtTrade = z.object({
  id: z.coerce.string().min(1),
  amount: z.number().positive(),
  price: z.number().positive(),
  timestamp: z.number().nullish(),
  fee: z.object({ cost: z.number().nonnegative(), currency: z.string().min(1) }),
});

/** A trade of the trade history: the fill's fields plus its market, side and order. */
const CcxtAccountTrade = CcxtTrade.extend({
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  order: z.coerce.string().min(1),
});

/** Trades per request of the trade history (Binance's maximum). */
const tradePage = 1000;

const CcxtOrder = z.object({
  id: z.coerce.string().min(1),
  clientOrderId: z.string().min(1),
  status: z.enum(['open', 'closed', 'canceled', 'expired', 'rejected']),
  amount: z.number().positive(),
  filled: z.number().nonnegative(),
  average: z.number().positive().nullish(),
  timestamp: z.number().nullish(),
  trades: z.array(z.unknown()).nullish(),
});

function toOrder(raw: z.infer<typeof CcxtOrder>): ExchangeOrder {
  const open = raw.filled > 0 ? 'PARTIALLY_FILLED' : 'NEW';
  const state = { open, closed: 'FILLED', canceled: 'CANCELED', expired: 'EXPIRED', rejected: 'REJECTED' } as const;
  return ExchangeOrder.parse({
    client_order_id: raw.clientOrderId,
    exchange_order_id: raw.id,
    state: state[raw.status],
    qty: raw.amount,
    filled_qty: raw.filled,
    avg_price: raw.average ?? null,
  });
}

function toFill(raw: z.infer<typeof CcxtTrade>, fallbackTs: number | null | undefined): ExchangeFill {
  return {
    trade_id: raw.id,
    qty: raw.amount,
    price: raw.price,
    fee: raw.fee.cost,
    fee_asset: raw.fee.currency,
    ts: new Date(raw.timestamp ?? fallbackTs ?? Date.now()),
  };
}

function parsed<T>(ex: CcxtExchange, what: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ExchangeFault(
      'unknown_outcome',
      `${ex.id} answered ${what} with something that is not valid (${issue.path.join('.') || 'the answer'}: ${issue.message}).`,
    );
  }
  return result.data;
}

type RawCall = (params: Record<string, unknown>) => Promise<unknown>;

/** One of ccxt's implicit (raw endpoint) methods, if this exchange class has it. */
function rawCall(ex: CcxtExchange, name: string): RawCall | undefined {
  const fn = (ex as unknown as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (fn as RawCall).bind(ex) : undefined;
}

const OcoAnswer = z.object({ orderReports: z.array(z.record(z.string(), z.unknown())).length(2) });

export interface CcxtSpotPortOptions {
  credentials: SpotCredentials;
  sandbox?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Retries of reads (never of order submissions); the session's from the environment by default. */
  policy?: RetryPolicy;
  /** How long one request may take before its outcome counts as unknown. */
  timeoutMs?: number;
}

export async function openCcxtSpotPort(exchangeId: string, options: CcxtSpotPortOptions): Promise<ExchangePort> {
  const ccxt = await loadCcxt();
  const session = await openExchangeSession(exchangeId, {
    sandbox: options.sandbox ?? false,
    ...(options.env ? { env: options.env } : {}),
  });
  const { ex } = session;
  ex.apiKey = options.credentials.apiKey;
  ex.secret = options.credentials.secret;
  if (options.timeoutMs !== undefined) ex.timeout = options.timeoutMs;
  let offsetMs: number | null = null;
  let waitUntil: number | null = null;

  const fault = (what: string, e: unknown): ExchangeFault => {
    if (e instanceof ExchangeFault) return e;
    const kind = isTraderError(e) && e.code !== 'TRANSIENT' && e.code !== 'TIMEOUT' ? 'rejected' : faultKind(ccxt, e);
    const detail = withoutQueryStrings(errorMessage(e)).split('\n')[0]!.slice(0, 300);
    const retryAfterMs = kind === 'rate_limited' ? session.classify(e).retryAfterMs : undefined;
    if (retryAfterMs !== undefined) waitUntil = Date.now() + retryAfterMs;
    return new ExchangeFault(kind, `${what} on ${ex.id} failed: ${detail}`, retryAfterMs);
  };
  /** A read, retried on transient faults; a clock-skew refusal is not retried with the same clock. */
  const read = async <T>(
    what: string,
    endpoint: Endpoint | (() => Endpoint | null),
    fn: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await withRetry(what, () => checkedAnswer(ex, fn), options.policy ?? session.policy, {
        classify: (e) => (faultKind(ccxt, e) === 'clock_skew' ? { kind: 'permanent' } : session.classify(e)),
        onRetry: session.onRetry,
        limit: limitFor(session.gate, ex.id, endpoint),
      });
    } catch (e) {
      throw fault(what, e);
    }
  };
  const loadMarkets = () => {
    const load = marketsLoader(ex);
    return read(`loading ${ex.id} markets`, load.endpoint, load);
  };
  /** An order request, never retried, under the shared rate limits (reads take theirs in withRetry). */
  const send = async <T>(endpoint: Endpoint, fn: () => Promise<T>): Promise<T> => {
    const limit = limitFor(session.gate, ex.id, endpoint);
    await limit.before();
    try {
      return await checkedAnswer(ex, fn);
    } catch (e) {
      const { kind, retryAfterMs } = session.classify(e);
      // The pause still holds here (rateLimitedUntil); not sharing it must not change what the answer says.
      if (kind === 'rate_limited' && retryAfterMs !== undefined)
        await limit.blockedFor(retryAfterMs).catch(() => undefined);
      throw e;
    }
  };
  const tickMode = ex.precisionMode === ccxt.functions.TICK_SIZE;
  const asStep = (p: number | undefined) => (p === undefined ? undefined : tickMode ? p : 10 ** -p);

  return {
    exchange: ex.id,
    async market(symbol) {
      await loadMarkets();
      const m = ex.markets?.[symbol];
      if (!m) throw new ExchangeFault('rejected', `${ex.id} has no spot market ${symbol}.`);
      return parsed(ex, `the market ${symbol}`, MarketInfo, {
        symbol,
        base: m.base,
        quote: m.quote,
        step_size: asStep(m.precision.amount),
        tick_size: asStep(m.precision.price),
        min_qty: m.limits.amount?.min ?? 0,
        max_qty: m.limits.amount?.max ?? null,
        min_notional: m.limits.cost?.min ?? 0,
        taker_fee: m.taker,
      });
    },
    async price(symbol) {
      const ticker = await read(`the price of ${symbol}`, 'ticker', () => ex.fetchTicker(symbol));
      return parsed(ex, `the price of ${symbol}`, z.number().positive(), ticker.last);
    },
    async balances() {
      const raw = await read('the balances', 'account', () => ex.fetchBalance());
      const free = (raw.free ?? {}) as unknown as Record<string, number>;
      const used = (raw.used ?? {}) as unknown as Record<string, number>;
      const out: Balances = {};
      for (const asset of Object.keys(free)) out[asset] = { free: free[asset]!, used: used[asset] ?? 0 };
      return parsed(ex, 'the balances', z.record(z.string(), z.object({ free: z.number(), used: z.number() })), out);
    },
    async submit(request) {
      const o = OrderRequest.parse(request);
      await loadMarkets();
      const type = { market: 'market', limit: 'limit', stop_loss_limit: 'STOP_LOSS_LIMIT' }[o.type];
      const params = { clientOrderId: o.client_order_id, ...(o.stop_price ? { stopPrice: o.stop_price } : {}) };
      let raw: unknown;
      try {
        // Never retried here: an order whose outcome is unknown is looked up first (submit-order.ts).
        raw = await send('order', () => ex.createOrder(o.symbol, type, o.side, o.qty, o.price, params));
      } catch (e) {
        throw fault(`placing ${o.client_order_id}`, e);
      }
      const order = parsed(ex, `the order ${o.client_order_id}`, CcxtOrder, raw);
      const trades = parsed(ex, `the fills of ${o.client_order_id}`, z.array(CcxtTrade), order.trades ?? []);
      return { order: toOrder(order), fills: trades.map((t) => toFill(t, order.timestamp)) };
    },
    supportsOco: rawCall(ex, 'privatePostOrderListOco') !== undefined,
    async submitOco(request) {
      const o = OcoRequest.parse(request);
      await loadMarkets();
      const post = rawCall(ex, 'privatePostOrderListOco');
      if (!post) throw new ExchangeFault('rejected', `${ex.id} takes no OCO order lists.`);
      const market = ex.market(o.symbol);
      let raw: unknown;
      try {
        raw = await send('oco', () =>
          post({
            symbol: market.id,
            side: o.side.toUpperCase(),
            quantity: ex.amountToPrecision(o.symbol, o.qty),
            listClientOrderId: o.list_client_order_id,
            aboveType: 'LIMIT_MAKER',
            abovePrice: ex.priceToPrecision(o.symbol, o.take_profit.price),
            aboveClientOrderId: o.take_profit.client_order_id,
            belowType: 'STOP_LOSS_LIMIT',
            belowStopPrice: ex.priceToPrecision(o.symbol, o.stop.stop_price),
            belowPrice: ex.priceToPrecision(o.symbol, o.stop.price),
            belowTimeInForce: 'GTC',
            belowClientOrderId: o.stop.client_order_id,
            newOrderRespType: 'FULL',
          }),
        );
      } catch (e) {
        throw fault(`placing the OCO list ${o.list_client_order_id}`, e);
      }
      const reports = parsed(ex, `the OCO list ${o.list_client_order_id}`, OcoAnswer, raw).orderReports;
      const leg = (clientOrderId: string) => {
        const report = reports.find((r) => r.clientOrderId === clientOrderId);
        const order = parsed(ex, `the OCO leg ${clientOrderId}`, CcxtOrder, report && ex.parseOrder(report, market));
        const trades = parsed(ex, `the fills of ${clientOrderId}`, z.array(CcxtTrade), order.trades ?? []);
        return { order: toOrder(order), fills: trades.map((t) => toFill(t, order.timestamp)) };
      };
      return { take_profit: leg(o.take_profit.client_order_id), stop: leg(o.stop.client_order_id) };
    },
    async cancel(symbol, clientOrderId) {
      try {
        await send('cancel', () => ex.cancelOrder('', symbol, { origClientOrderId: clientOrderId }));
      } catch (e) {
        const f = fault(`cancelling ${clientOrderId}`, e);
        // -2011 "Unknown order sent.": already filled, cancelled or expired; the caller looks it up.
        if (f.kind === 'not_found' || exchangeCode(errorMessage(e)) === -2011) return;
        throw f;
      }
    },
    async orderByClientId(symbol, clientOrderId) {
      try {
        const raw = await read(`looking up ${clientOrderId}`, 'queryOrder', () =>
          ex.fetchOrder('', symbol, { clientOrderId: clientOrderId }),
        );
        return toOrder(parsed(ex, `the order ${clientOrderId}`, CcxtOrder, raw));
      } catch (e) {
        if (e instanceof ExchangeFault && e.kind === 'not_found') return null;
        throw e;
      }
    },
    async fills(symbol, exchangeOrderId) {
      const raw = await read(`the fills of order ${exchangeOrderId}`, 'myTrades', () =>
        ex.fetchMyTrades(symbol, undefined, undefined, { orderId: exchangeOrderId }),
      );
      return parsed(ex, `the fills of order ${exchangeOrderId}`, z.array(CcxtTrade), raw).map((t) => toFill(t, null));
    },
    async openOrders(symbol) {
      const raw = await read(`the open orders of ${symbol}`, 'openOrders', () => ex.fetchOpenOrders(symbol));
      return parsed(ex, `the open orders of ${symbol}`, z.array(CcxtOrder), raw).map((o) => ({
        ...toOrder(o),
        symbol,
      }));
    },
    async trades(symbol, since) {
      // Page by time; a page's last millisecond is asked again, and trade ids drop the repeats.
      const seen = new Map<string, ExchangeTrade>();
      for (let from = since.getTime(); ;) {
        const raw = await read(`the trades of ${symbol}`, 'myTrades', () => ex.fetchMyTrades(symbol, from, tradePage));
        const page = parsed(ex, `the trades of ${symbol}`, z.array(CcxtAccountTrade), raw);
        const fresh = page.filter((t) => !seen.has(t.id));
        for (const t of fresh)
          seen.set(t.id, ExchangeTrade.parse({ ...toFill(t, null), symbol, side: t.side, exchange_order_id: t.order }));
        if (page.length < tradePage || fresh.length === 0) break;
        from = Math.max(...page.map((t) => t.timestamp ?? from));
      }
      return [...seen.values()].sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.trade_id.localeCompare(b.trade_id));
    },
    async resyncClock() {
      const difference = await read(`the ${ex.id} clock`, 'time', () => ex.loadTimeDifference());
      // ccxt signs every later request with local time minus this difference.
      offsetMs = -difference;
      return offsetMs;
    },
    clockOffsetMs: () => offsetMs,
    rateLimitedUntil: () => waitUntil,
  };
}
