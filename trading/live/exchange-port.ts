import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { MarketFilters, OrderSide, OrderType } from './market-filters.ts';

/**
 * The few operations the live broker needs from an exchange. One adapter per exchange
 * family implements it (ccxt-spot-port.ts); nothing outside that adapter knows an
 * exchange's names, codes or quirks. Every answer is validated against these schemas in
 * the adapter, so a malformed answer is one ExchangeFault, never a crash further on.
 */

/** Where an order stands on the exchange. */
export const ExchangeOrderState = z.enum(['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);
export type ExchangeOrderState = z.infer<typeof ExchangeOrderState>;

export const ExchangeFill = z.object({
  trade_id: z.string().min(1),
  qty: z.number().positive(),
  price: z.number().positive(),
  fee: z.number().nonnegative(),
  fee_asset: z.string().min(1),
  ts: z.date(),
});
export type ExchangeFill = z.infer<typeof ExchangeFill>;

export const ExchangeOrder = z.object({
  client_order_id: z.string().min(1),
  exchange_order_id: z.string().min(1),
  state: ExchangeOrderState,
  qty: z.number().positive(),
  filled_qty: z.number().nonnegative(),
  avg_price: z.number().positive().nullable(),
});
export type ExchangeOrder = z.infer<typeof ExchangeOrder>;

/** A trade of the account as the exchange's trade history lists it: ours, or one made by hand on the exchange. */
export const ExchangeTrade = ExchangeFill.extend({
  symbol: z.string().min(1),
  side: OrderSide,
  exchange_order_id: z.string().min(1),
});
export type ExchangeTrade = z.infer<typeof ExchangeTrade>;

/** An order the exchange lists as open. */
export const ExchangeOpenOrder = ExchangeOrder.extend({ symbol: z.string().min(1) });
export type ExchangeOpenOrder = z.infer<typeof ExchangeOpenOrder>;

export const OrderRequest = z.object({
  client_order_id: z.string().min(1),
  symbol: z.string().min(1),
  side: OrderSide,
  type: OrderType,
  qty: z.number().positive(),
  price: z.number().positive().optional(),
  stop_price: z.number().positive().optional(),
});
export type OrderRequest = z.infer<typeof OrderRequest>;

/**
 * An OCO sell list protecting a long: a take-profit limit above the price and a
 * stop-loss-limit below it, for one quantity; the fill (or trigger) of one leg cancels the other.
 */
export const OcoRequest = z.object({
  list_client_order_id: z.string().min(1),
  symbol: z.string().min(1),
  side: OrderSide,
  qty: z.number().positive(),
  take_profit: z.object({ client_order_id: z.string().min(1), price: z.number().positive() }),
  stop: z.object({
    client_order_id: z.string().min(1),
    stop_price: z.number().positive(),
    price: z.number().positive(),
  }),
});
export type OcoRequest = z.infer<typeof OcoRequest>;

export interface PlacedOrder {
  order: ExchangeOrder;
  fills: ExchangeFill[];
}

export const Balance = z.object({ free: z.number().nonnegative(), used: z.number().nonnegative() });
export const Balances = z.record(z.string(), Balance);
export type Balances = z.infer<typeof Balances>;

export const MarketInfo = MarketFilters.extend({
  base: z.string().min(1),
  quote: z.string().min(1),
  /** Taker fee as a fraction of notional (0.001 = 10 bps). */
  taker_fee: z.number().nonnegative(),
});
export type MarketInfo = z.infer<typeof MarketInfo>;

/**
 * What went wrong, in the terms the broker acts on:
 * - unknown_outcome: a timeout, 5xx, dropped connection or malformed answer; the order may
 *   or may not exist, so it must be looked up by client id before anything is resent;
 * - not_found: the exchange says no order has this client id;
 * - insufficient_funds: refused for lack of balance;
 * - clock_skew: the request's timestamp fell outside the exchange's window;
 * - rate_limited: too many requests (the wait it asked for, if any);
 * - rejected: any other definite refusal (filters, unknown symbol, bad keys).
 */
export const FaultKind = z.enum([
  'unknown_outcome',
  'not_found',
  'insufficient_funds',
  'clock_skew',
  'rate_limited',
  'rejected',
]);
export type FaultKind = z.infer<typeof FaultKind>;

export class ExchangeFault extends TraderError {
  constructor(
    readonly kind: FaultKind,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(kind === 'rejected' || kind === 'insufficient_funds' ? 'HALTED' : 'TRANSIENT', message);
    this.name = 'ExchangeFault';
  }
}

export function isExchangeFault(e: unknown, kind?: FaultKind): e is ExchangeFault {
  return e instanceof ExchangeFault && (kind === undefined || e.kind === kind);
}

export interface ExchangePort {
  /** The ccxt exchange id (or another adapter's), stored with every order. */
  readonly exchange: string;
  market(symbol: string): Promise<MarketInfo>;
  /** The last traded price. */
  price(symbol: string): Promise<number>;
  balances(): Promise<Balances>;
  submit(order: OrderRequest): Promise<PlacedOrder>;
  /** Whether the exchange takes OCO lists (submitOco); otherwise a stop-loss-limit protects alone. */
  readonly supportsOco: boolean;
  /** Places an OCO list; both legs as the exchange answered. Never retried (like submit). */
  submitOco(list: OcoRequest): Promise<{ take_profit: PlacedOrder; stop: PlacedOrder }>;
  /** Cancels an open order (an OCO leg cancels its list); an order that is no longer open is left as it is. */
  cancel(symbol: string, clientOrderId: string): Promise<void>;
  /** The order with this client id, or null when the exchange says there is none. */
  orderByClientId(symbol: string, clientOrderId: string): Promise<ExchangeOrder | null>;
  fills(symbol: string, exchangeOrderId: string): Promise<ExchangeFill[]>;
  /** The orders of a market open on the exchange now (trader's and any placed by hand). */
  openOrders(symbol: string): Promise<ExchangeOpenOrder[]>;
  /** The account's trades in a market from `since` on (inclusive), oldest first, with fee and fee asset. */
  trades(symbol: string, since: Date): Promise<ExchangeTrade[]>;
  /** Measures the exchange's clock again and signs later requests with it; returns the offset in ms. */
  resyncClock(): Promise<number>;
  /** The offset last measured (exchange minus local, ms), or null if never measured. */
  clockOffsetMs(): number | null;
  /** Until when (ms since epoch) the exchange asked us to send nothing (a 429 or 418 with Retry-After), or null. */
  rateLimitedUntil(): number | null;
}
