import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { TradingScope } from '../scope.ts';
import type { LiveOrder } from './orders-repo.ts';

/** What happened to an order, audited in the transaction that records it. */
export type OrderEvent =
  | 'ORDER_SUBMITTED'
  | 'ORDER_REJECTED'
  | 'ORDER_OUTCOME_UNKNOWN'
  | 'ORDER_RECOVERED'
  | 'ORDER_CANCELLED'
  | 'ORDER_CANCEL_FAILED';

const statusOf = {
  ORDER_SUBMITTED: 'SUCCESS',
  ORDER_REJECTED: 'FAILURE',
  ORDER_OUTCOME_UNKNOWN: 'WARNING',
  ORDER_RECOVERED: 'INFO',
  ORDER_CANCELLED: 'SUCCESS',
  ORDER_CANCEL_FAILED: 'FAILURE',
} as const;

export async function auditOrder(
  q: Queryable,
  scope: TradingScope,
  event: OrderEvent,
  order: LiveOrder,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(q, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: event,
    status: statusOf[event],
    entity_type: 'order',
    entity_id: order.client_order_id,
    details: {
      exchange: order.exchange,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      role: order.role,
      qty: order.qty,
      state: order.state,
      filled_qty: order.filled_qty,
      ...(order.exchange_order_id ? { exchange_order_id: order.exchange_order_id } : {}),
      ...(order.last_error ? { reason: order.last_error } : {}),
      ...details,
    },
  });
}
