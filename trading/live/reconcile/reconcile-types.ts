import { z } from 'zod';
import { ExchangeTrade } from '../exchange-port.ts';
import { OrderRole } from '../orders-repo.ts';

/**
 * What reconciliation compares: the database's book of the LIVE account and the exchange's,
 * each gathered in one go (gather.ts), and the plan the pure compare step makes of them
 * (compare.ts): the fills to adopt and every difference, explained or not.
 */

const qty = z.number().nonnegative();

export const LocalBook = z.object({
  quote: z.string().min(1),
  /** Recorded balance per asset (trading_live.wallets). */
  wallets: z.record(z.string(), z.number()),
  positions: z.array(
    z.object({ position_id: z.number().int(), symbol: z.string(), side: z.enum(['long', 'short']), open_qty: qty }),
  ),
  /** Orders trader sent that the exchange listed (a trade or an open order of theirs), by the exchange's order id. */
  orders: z.array(
    z.object({
      client_order_id: z.string(),
      exchange_order_id: z.string(),
      symbol: z.string(),
      role: OrderRole,
      position_id: z.number().int().nullable(),
    }),
  ),
  /** Exchange trade ids already booked into trades: adopted once, never twice. */
  booked_trade_ids: z.array(z.string()),
});
export type LocalBook = z.infer<typeof LocalBook>;

export const MarketView = z.object({
  base: z.string(),
  quote: z.string(),
  min_qty: qty,
  min_notional: qty,
  /** The last price, to judge dust and value balances. */
  price: z.number().positive(),
});
export type MarketView = z.infer<typeof MarketView>;

export const ExchangeBook = z.object({
  /** Total (free + locked) per asset. */
  balances: z.record(z.string(), z.number()),
  /** The account's trades since the last check, in the markets looked at. */
  trades: z.array(ExchangeTrade),
  open_orders: z.array(z.object({ client_order_id: z.string(), exchange_order_id: z.string(), symbol: z.string() })),
  markets: z.record(z.string(), MarketView),
  /** Assets whose balance is not compared this cycle: a market trading them could not be read. */
  unchecked_assets: z.array(z.string()),
});
export type ExchangeBook = z.infer<typeof ExchangeBook>;

/** How an adopted fill is booked: the position it belongs to (null: it moves balances only). */
export const Adoption = z.object({
  trade: ExchangeTrade,
  /** trader's order, or null for a trade made by hand on the exchange (website, app). */
  client_order_id: z.string().nullable(),
  role: OrderRole.nullable(),
  position_id: z.number().int().nullable(),
  kind: z.enum(['entry', 'stop_loss', 'take_profit', 'close']).nullable(),
});
export type Adoption = z.infer<typeof Adoption>;

/**
 * Kinds of difference. Explained: a fill the database lacked (ours, or a trade by hand),
 * dust left by a position, an order placed by hand, an order the exchange no longer knows
 * (RECONCILED_UNKNOWN). Unexplained: a balance that the trades do not account for (a
 * deposit, a withdrawal, a transfer, a trade in a market trader does not watch), or a
 * booking that left the database off the exchange.
 */
export const DifferenceKind = z.enum([
  'fill_adopted',
  'manual_fill',
  'dust',
  'foreign_open_order',
  'order_unknown',
  'balance_mismatch',
]);
export type DifferenceKind = z.infer<typeof DifferenceKind>;

export const Difference = z.object({
  kind: DifferenceKind,
  explained: z.boolean(),
  symbol: z.string().nullable(),
  asset: z.string().nullable(),
  local_value: z.number().nullable(),
  exchange_value: z.number().nullable(),
  detail: z.string(),
});
export type Difference = z.infer<typeof Difference>;

export const ReconcilePlan = z.object({
  adoptions: z.array(Adoption),
  differences: z.array(Difference),
  /** The wallets once every adoption is booked: equal to the exchange's balances when all is explained. */
  expected_wallets: z.record(z.string(), z.number()),
});
export type ReconcilePlan = z.infer<typeof ReconcilePlan>;
