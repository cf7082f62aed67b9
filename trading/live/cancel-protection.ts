import type { Db } from '../../store/db.ts';
import type { TradingScope } from '../scope.ts';
import { tradingTx } from '../scope.ts';
import type { BookedFill } from './book-fill.ts';
import { type ExchangePort, isExchangeFault, type MarketInfo } from './exchange-port.ts';
import { auditOrder } from './order-audit.ts';
import { setOrderState } from './orders-repo.ts';
import { activeProtection } from './protect-position.ts';
import { settleOrder } from './settle-orders.ts';

/**
 * Cancels every protective order of a position (its stops and the take-profits of its OCO
 * lists) before the position is closed or protected anew: each is cancelled on the exchange,
 * then looked up so fills it got meanwhile are booked; one recorded but never sent is marked
 * CANCELED so recovery never sends it later. Stops at the first cancel the exchange does not
 * take, with that sentence: what is left is still on the exchange and still recorded.
 */
export async function cancelProtection(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  positionId: number,
  at: { market: MarketInfo; price: number; why: string },
): Promise<{ booked: BookedFill[]; problem: string | null }> {
  const booked: BookedFill[] = [];
  for (const order of await tradingTx(db, scope, (tx) => activeProtection(tx, scope, positionId))) {
    try {
      if (order.state !== 'PENDING_SUBMIT' || order.attempts > 0)
        await port.cancel(order.symbol, order.client_order_id);
    } catch (e) {
      if (!isExchangeFault(e)) throw e;
      return {
        booked,
        problem: `The protective order ${order.client_order_id} could not be cancelled (${e.message})`,
      };
    }
    const settled = await settleOrder(db, scope, port, order, at.market, at.price);
    booked.push(...settled.booked);
    if (settled.order.state === 'PENDING_SUBMIT')
      await tradingTx(db, scope, async (tx) => {
        const row = await setOrderState(tx, scope, order.client_order_id, 'CANCELED', at.why);
        await auditOrder(tx, scope, 'ORDER_REJECTED', row);
      });
  }
  return { booked, problem: null };
}
