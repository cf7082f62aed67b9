import { z } from 'zod';
import { queryRows, type Queryable } from '../../store/db.ts';
import type { TradingScope } from '../scope.ts';
import type { ExchangeFill, ExchangeOrder } from './exchange-port.ts';
import { ProposedOrder } from '../proposals/proposals-repo.ts';
import { OrderSide, OrderType } from './market-filters.ts';

/** The orders and order_fills tables of one system mode (supabase/migrations/20261203150000_live_orders.sql). */

const num = z.coerce.number();

export const OrderRole = z.enum(['entry', 'stop', 'take_profit', 'close']);
export const OrderState = z.enum([
  'PENDING_SUBMIT',
  'NEW',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCELED',
  'REJECTED',
  'EXPIRED',
  'RECONCILED_UNKNOWN',
]);
export type OrderState = z.infer<typeof OrderState>;

/** States after which the exchange will do nothing more with the order. */
export const finalStates: readonly OrderState[] = ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'RECONCILED_UNKNOWN'];

/**
 * The position an entry order opens, recorded with the order so that its first fill can
 * open the position whoever books it (the broker, recovery, reconciliation), and the just-
 * in-time checks can re-run the risk gate on the intent right before the order leaves.
 */
export const EntryPlan = z.object({
  /** The order as the risk gate passed it (decision price, stop, take-profit ladder, risk). */
  intent: ProposedOrder,
  strategy_id: z.string().nullable(),
  /** Absent in plans recorded before versions were attributed. */
  strategy_version: z.number().int().nullable().default(null),
  source_module: z.string().nullable(),
  proposal_id: z.number().int().positive().nullable(),
  /** The decision time, ISO 8601 (jsonb keeps no dates). */
  as_of: z.string().datetime(),
});
export type EntryPlan = z.infer<typeof EntryPlan>;

export const LiveOrder = z.object({
  client_order_id: z.string(),
  exchange: z.string(),
  account: z.string(),
  symbol: z.string(),
  side: OrderSide,
  type: OrderType,
  role: OrderRole,
  qty: num,
  price: num.nullable(),
  stop_price: num.nullable(),
  state: OrderState,
  exchange_order_id: z.string().nullable(),
  filled_qty: num,
  avg_price: num.nullable(),
  attempts: num,
  last_error: z.string().nullable(),
  position_id: num.nullable(),
  run_id: z.string().nullable(),
  plan: EntryPlan.nullable(),
  created_at: z.date(),
  updated_at: z.date(),
});
export type LiveOrder = z.infer<typeof LiveOrder>;

export const NewOrder = LiveOrder.pick({
  client_order_id: true,
  exchange: true,
  symbol: true,
  side: true,
  type: true,
  role: true,
}).extend({
  qty: z.number().positive(),
  account: z.string().default('default'),
  price: z.number().positive().nullable().default(null),
  stop_price: z.number().positive().nullable().default(null),
  position_id: z.number().int().nullable().default(null),
  run_id: z.string().nullable().default(null),
  plan: EntryPlan.nullable().default(null),
});
export type NewOrder = z.input<typeof NewOrder>;

export const OrderFill = z.object({
  exchange_trade_id: z.string(),
  client_order_id: z.string(),
  qty: num,
  price: num,
  fee: num,
  fee_asset: z.string(),
  ts: z.date(),
});
export type OrderFill = z.infer<typeof OrderFill>;

/** Records an order as PENDING_SUBMIT; an order already known under that id is returned as it stands. */
export async function insertPendingOrder(
  q: Queryable,
  scope: TradingScope,
  input: NewOrder,
): Promise<{ order: LiveOrder; created: boolean }> {
  const o = NewOrder.parse(input);
  const inserted = await queryRows(
    q,
    LiveOrder,
    `insert into ${scope.table('orders')} (client_order_id, exchange, account, symbol, side, type, role, qty, price,
       stop_price, position_id, run_id, plan)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::text::jsonb)
     on conflict (client_order_id) do nothing returning *`,
    [
      o.client_order_id,
      o.exchange,
      o.account,
      o.symbol,
      o.side,
      o.type,
      o.role,
      o.qty,
      o.price,
      o.stop_price,
      o.position_id,
      o.run_id,
      o.plan === null ? null : JSON.stringify(o.plan),
    ],
  );
  if (inserted[0]) return { order: inserted[0], created: true };
  return { order: (await findOrder(q, scope, o.client_order_id))!, created: false };
}

export async function findOrder(
  q: Queryable,
  scope: TradingScope,
  clientOrderId: string,
): Promise<LiveOrder | undefined> {
  return (
    await queryRows(q, LiveOrder, `select * from ${scope.table('orders')} where client_order_id = $1`, [clientOrderId])
  )[0];
}

/** Orders whose outcome on the exchange is not settled yet, or whose fills are not all recorded; oldest first. */
export function unresolvedOrders(q: Queryable, scope: TradingScope, exchange: string): Promise<LiveOrder[]> {
  return queryRows(
    q,
    LiveOrder,
    `select o.* from ${scope.table('orders')} o where o.exchange = $1
       and (o.state in ('PENDING_SUBMIT', 'NEW', 'PARTIALLY_FILLED')
         or o.filled_qty > (select coalesce(sum(f.qty), 0) from ${scope.table('order_fills')} f
                            where f.client_order_id = o.client_order_id))
     order by o.created_at, o.client_order_id`,
    [exchange],
  );
}

/**
 * One more request is about to leave for this order. False when the order no longer waits
 * to be sent (cancelled meanwhile, e.g. by an emergency halt): then no request may leave.
 */
export async function countAttempt(q: Queryable, scope: TradingScope, clientOrderId: string): Promise<boolean> {
  const rows = await q.query(
    `update ${scope.table('orders')} set attempts = attempts + 1, updated_at = now()
     where client_order_id = $1 and state = 'PENDING_SUBMIT' returning client_order_id`,
    [clientOrderId],
  );
  return rows.length > 0;
}

export async function setOrderState(
  q: Queryable,
  scope: TradingScope,
  clientOrderId: string,
  state: OrderState,
  lastError: string | null,
): Promise<LiveOrder> {
  const [row] = await queryRows(
    q,
    LiveOrder,
    `update ${scope.table('orders')} set state = $2, last_error = coalesce($3, last_error), updated_at = now()
     where client_order_id = $1 returning *`,
    [clientOrderId, state, lastError],
  );
  return row!;
}

/** Adopts what the exchange says about the order, and its fills (each trade id once). */
export async function recordExchangeAnswer(
  q: Queryable,
  scope: TradingScope,
  local: LiveOrder,
  answer: ExchangeOrder,
  fills: ExchangeFill[],
): Promise<LiveOrder> {
  for (const f of fills)
    await q.query(
      `insert into ${scope.table('order_fills')} (exchange, exchange_trade_id, client_order_id, qty, price, fee, fee_asset, ts)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (exchange, exchange_trade_id) do nothing`,
      [local.exchange, f.trade_id, local.client_order_id, f.qty, f.price, f.fee, f.fee_asset, f.ts],
    );
  const [row] = await queryRows(
    q,
    LiveOrder,
    `update ${scope.table('orders')} set state = $2, exchange_order_id = $3, filled_qty = $4, avg_price = $5,
       updated_at = now() where client_order_id = $1 returning *`,
    [local.client_order_id, answer.state, answer.exchange_order_id, answer.filled_qty, answer.avg_price],
  );
  return row!;
}

export function fillsOf(q: Queryable, scope: TradingScope, clientOrderId: string): Promise<OrderFill[]> {
  return queryRows(
    q,
    OrderFill,
    `select exchange_trade_id, client_order_id, qty, price, fee, fee_asset, ts from ${scope.table('order_fills')}
     where client_order_id = $1 order by ts, exchange_trade_id`,
    [clientOrderId],
  );
}

/** The newest orders of the scope, newest first (the dashboard's orders table). */
export function recentOrders(q: Queryable, scope: TradingScope, limit: number): Promise<LiveOrder[]> {
  return queryRows(q, LiveOrder, `select * from ${scope.table('orders')} order by created_at desc limit $1`, [limit]);
}
