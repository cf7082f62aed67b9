import { TraderError } from '../../core/errors.ts';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { FillEvent } from '../broker.ts';
import type { Position } from '../positions-repo.ts';
import { exitFill, exitOrderSide } from './fill-model.ts';
import { applyCash, insertTrade, savePositionExit, type PaperContext } from './paper-ledger.ts';

/** One exit to execute: a stop, a take-profit rung, or a market close. */
export interface ExitOrder {
  kind: FillEvent['kind'];
  qty: number;
  /** Fill price, slippage already applied. */
  price: number;
  /** The take-profit rung it fills, if any. */
  rung: number | null;
  ts: Date;
  run_id: string | null;
  /** Why a close was made, for the audit trail (the exit plan's time stop). */
  reason?: string;
}

const auditAction: Record<FillEvent['kind'], string> = {
  stop_loss: 'POSITION_STOPPED',
  take_profit: 'TAKE_PROFIT_FILLED',
  close: 'POSITION_CLOSED',
  emergency_close: 'POSITION_CLOSED',
};

/**
 * Executes one exit on the paper ledger: the wallet, the trades row, the position and
 * the audit trail change together in the caller's transaction. Returns the updated
 * position with the fill.
 */
export async function applyExit(
  tx: Queryable,
  ctx: PaperContext,
  pos: Position,
  order: ExitOrder,
): Promise<{ position: Position; fill: FillEvent }> {
  const fill = exitFill(pos, order.qty, order.price, ctx.costs);
  // exitFill floors an exit's cash at zero, so this can only fail on a corrupted ledger.
  if ((await applyCash(tx, ctx, fill.cash_delta)) === null) {
    throw new TraderError(
      'INTERNAL',
      `The ${ctx.currency} wallet would go negative closing position ${pos.position_id}; run \`trader positions\` and report this ledger inconsistency.`,
    );
  }
  const side = exitOrderSide(pos.side);
  const trade = await insertTrade(tx, ctx, {
    position_id: pos.position_id,
    ts: order.ts,
    exchange: pos.exchange,
    symbol: pos.symbol,
    side,
    kind: order.kind,
    qty: fill.qty,
    price: fill.price,
    fee: fill.fee,
    cash_delta: fill.cash_delta,
    realized_pnl: fill.realized_pnl,
    run_id: order.run_id,
  });
  const filledAt = order.ts.toISOString();
  const position = await savePositionExit(tx, ctx.scope, pos.position_id, {
    qty: fill.qty,
    released: fill.released,
    realized_pnl: fill.realized_pnl,
    fee: fill.fee,
    take_profits: pos.take_profits.map((r, i) => (i === order.rung ? { ...r, filled_at: filledAt } : r)),
    closed_at: fill.closes ? order.ts : null,
    close_reason: fill.closes ? order.kind : null,
  });
  const event: FillEvent = {
    position_id: pos.position_id,
    trade_id: trade.trade_id,
    symbol: pos.symbol,
    kind: order.kind,
    side,
    qty: fill.qty,
    price: fill.price,
    fee: fill.fee,
    realized_pnl: fill.realized_pnl,
    cash_delta: fill.cash_delta,
    ts: order.ts,
    closed: fill.closes,
  };
  await recordAudit(tx, {
    mode: ctx.scope.mode,
    actor: 'SYSTEM',
    action_type: auditAction[order.kind],
    status: order.kind === 'emergency_close' ? 'WARNING' : 'SUCCESS',
    risk_profile: ctx.riskProfile,
    details: {
      ...event,
      ts: filledAt,
      take_profit_rung: order.rung,
      open_qty_after: position.open_qty,
      currency: ctx.currency,
      run_id: order.run_id,
      ...(order.reason ? { reason: order.reason } : {}),
    },
    entity_type: 'position',
    entity_id: String(pos.position_id),
  });
  return { position, fill: event };
}
