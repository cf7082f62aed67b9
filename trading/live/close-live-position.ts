import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Position } from '../positions-repo.ts';
import { lockOpenPosition } from '../positions-repo.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import type { BookedFill } from './book-fill.ts';
import { clientOrderId } from './client-order-id.ts';
import { roundToStep } from './decimal-steps.ts';
import { cancelProtection } from './cancel-protection.ts';
import type { ExchangePort } from './exchange-port.ts';
import { bookRecorded, dustQty } from './settle-orders.ts';
import { submitOrder } from './submit-order.ts';

/**
 * Closes what is left of a LIVE position at market: its protective orders are cancelled
 * first (they lock the coins, and must not fill after the close), fills they got meanwhile
 * are booked, then the open quantity, rounded down to the step, is sold with a market order
 * recorded before it is sent (role close), and its fills are booked. What cannot be sold
 * (below the market's minimums) stays in the wallet as dust and the position is closed.
 */

export interface LiveCloseResult {
  position: Position | null;
  booked: BookedFill[];
  /** One sentence when the close could not be completed (the position stays open). */
  problem: string | null;
  /** Set when what is left is below the market's minimums: nobody can sell it, it stays as dust. */
  dust?: true;
}

export interface LiveCloseRequest {
  /** Why, for the audit row: a user's close, an exit request, a gapped stop's fallback. */
  reason: string;
  /** The decision time: part of the close order's client id, so a retry reuses it. */
  ts: Date;
  run_id: string | null;
}

async function openPosition(db: Db, scope: TradingScope, positionId: number): Promise<Position | null> {
  return tradingTx(db, scope, async (tx) => {
    const rows = await tx.query(
      `select 1 from ${scope.table('positions')} where position_id = $1 and status = 'open'`,
      [positionId],
    );
    return rows.length > 0 ? lockOpenPosition(tx, scope, positionId) : null;
  });
}

export async function closeLivePosition(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  positionId: number,
  request: LiveCloseRequest,
): Promise<LiveCloseResult> {
  const booked: BookedFill[] = [];
  const start = await openPosition(db, scope, positionId);
  if (!start) return { position: null, booked, problem: null };
  const market = await port.market(start.symbol);
  const price = await port.price(start.symbol);
  const cancelled = await cancelProtection(db, scope, port, positionId, {
    market,
    price,
    why: 'not on the exchange when its position was closed',
  });
  booked.push(...cancelled.booked);
  if (cancelled.problem) return { position: start, booked, problem: `${cancelled.problem}; nothing was sold.` };
  const position = await openPosition(db, scope, positionId);
  if (!position) return { position: null, booked, problem: null };
  const qty = roundToStep(position.open_qty, market.step_size, 'down');
  const audit = (status: 'SUCCESS' | 'FAILURE', details: Record<string, unknown>) =>
    tradingTx(db, scope, (tx) =>
      recordAudit(tx, {
        mode: scope.mode,
        actor: 'SYSTEM',
        action_type: 'LIVE_POSITION_CLOSE',
        status,
        details: { symbol: position.symbol, reason: request.reason, run_id: request.run_id, ...details },
        entity_type: 'position',
        entity_id: String(positionId),
      }),
    );
  if (qty <= dustQty(market, price)) {
    await audit('FAILURE', { open_qty: position.open_qty, why: 'below the market minimums: left as dust' });
    return {
      position,
      booked,
      problem: `${position.open_qty} ${position.symbol} is below the market's minimums and cannot be sold.`,
      dust: true,
    };
  }
  const id = clientOrderId({
    pipeline: `position-${positionId}`,
    symbol: position.symbol,
    tick: request.ts.getTime(),
    leg: 'close',
  });
  const sent = await submitOrder(db, scope, port, {
    client_order_id: id,
    symbol: position.symbol,
    side: 'sell',
    type: 'market',
    role: 'close',
    qty,
    position_id: positionId,
    run_id: request.run_id,
  });
  booked.push(...(await bookRecorded(db, scope, sent.order, market, price)));
  const after = await openPosition(db, scope, positionId);
  await audit(sent.reason ? 'FAILURE' : 'SUCCESS', {
    client_order_id: id,
    qty,
    state: sent.order.state,
    reason_sent: sent.reason,
  });
  return { position: after, booked, problem: sent.reason };
}
