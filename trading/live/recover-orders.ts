import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { type ExchangePort, isExchangeFault } from './exchange-port.ts';
import { auditOrder } from './order-audit.ts';
import { type LiveOrder, setOrderState, unresolvedOrders } from './orders-repo.ts';
import { adoptAnswer, sendRecorded, type SubmitOptions } from './submit-order.ts';

/**
 * Run at every start, before any new order: each order whose outcome is not settled
 * (PENDING_SUBMIT, NEW, PARTIALLY_FILLED, or filled with fills not all recorded) is looked
 * up on the exchange by its client id.
 * - Found: its state and fills are adopted (each fill once, by the exchange's trade id).
 * - Not found, and the order was never acknowledged (PENDING_SUBMIT):
 *   - an entry is NOT sent again: its decision is stale (prices moved, the checks ran for
 *     another moment), so it becomes RECONCILED_UNKNOWN and the next run decides afresh;
 *   - a stop, take-profit or close is sent again under the same id (a position must not
 *     stay unprotected, or open against the decision to close it).
 * - Not found although the exchange had acknowledged it (NEW, PARTIALLY_FILLED): nothing
 *   explains that, so it becomes RECONCILED_UNKNOWN for reconciliation to look at.
 * - The exchange cannot be reached: the order is left as it is for the next attempt.
 */

export const RecoveryOutcome = z.enum(['adopted', 'resent', 'reconciled_unknown', 'unreachable']);
export const RecoveredOrder = z.object({
  client_order_id: z.string(),
  outcome: RecoveryOutcome,
  state: z.string(),
  detail: z.string().nullable(),
});
export type RecoveredOrder = z.infer<typeof RecoveredOrder>;

async function markUnknown(db: Db, scope: TradingScope, order: LiveOrder, why: string): Promise<LiveOrder> {
  return tradingTx(db, scope, async (tx) => {
    const row = await setOrderState(tx, scope, order.client_order_id, 'RECONCILED_UNKNOWN', why);
    await auditOrder(tx, scope, 'ORDER_RECOVERED', row, { previous_state: order.state });
    return row;
  });
}

async function recoverOne(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  order: LiveOrder,
  options: SubmitOptions,
): Promise<RecoveredOrder> {
  const report = (outcome: z.infer<typeof RecoveryOutcome>, row: LiveOrder, detail: string | null) => ({
    client_order_id: order.client_order_id,
    outcome,
    state: row.state,
    detail,
  });
  let found;
  try {
    found = await port.orderByClientId(order.symbol, order.client_order_id);
  } catch (e) {
    if (isExchangeFault(e)) return report('unreachable', order, e.message);
    throw e;
  }
  if (found) {
    const adopted = await adoptAnswer(db, scope, port, order, found, [], 'ORDER_RECOVERED');
    return report('adopted', adopted, null);
  }
  if (order.state === 'PENDING_SUBMIT' && order.role !== 'entry') {
    const sent = await sendRecorded(db, scope, port, order, { ...options, lookupFirst: false });
    return report('resent', sent.order, sent.reason);
  }
  const why =
    order.state === 'PENDING_SUBMIT'
      ? 'The entry never reached the exchange before the process stopped; a stale entry is not sent again.'
      : `The exchange has no order ${order.client_order_id} although it had acknowledged it.`;
  return report('reconciled_unknown', await markUnknown(db, scope, order, why), why);
}

export async function recoverOrders(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  options: SubmitOptions = {},
): Promise<RecoveredOrder[]> {
  const open = await tradingTx(db, scope, (tx) => unresolvedOrders(tx, scope, port.exchange));
  const out: RecoveredOrder[] = [];
  for (const order of open) out.push(await recoverOne(db, scope, port, order, options));
  return out;
}
