import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import type { FillEvent } from '../broker.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { brokerFor } from '../broker-for.ts';
import { monitorPositions } from '../paper/position-monitor.ts';
import { positionPrice } from '../portfolio.ts';
import { lockOpenPosition } from '../positions-repo.ts';
import { type TradingScope, tradingTx } from '../scope.ts';
import { loadState } from '../state-repo.ts';

/**
 * Closes one open position at the newest cached close, as the user asked. Stops and
 * take-profits hit before now are filled first at their own levels (the monitor), so a
 * position already stopped out is reported as such instead of being closed twice.
 */
export async function closeByUser(
  db: Db,
  scope: TradingScope,
  positionId: number,
  now = new Date(),
): Promise<FillEvent> {
  return tradingTx(db, scope, async (tx) => {
    await monitorPositions(tx, scope, now);
    const position = await lockOpenPosition(tx, scope, positionId);
    const last = await positionPrice(tx, position, now);
    if (!last)
      throw new TraderError(
        'NOT_FOUND',
        `No cached ${position.timeframe} candle of ${position.symbol} has closed since the position opened (${position.opened_at.toISOString()}) to price the close; run \`trader data fetch\` first, or wait for the next close.`,
      );
    const fill = await brokerFor(scope).close(tx, positionId, {
      price: last.price,
      ts: last.ts,
      kind: 'close',
      run_id: null,
    });
    const { risk_profile } = await loadState(tx, scope);
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'USER',
      action_type: 'POSITION_CLOSE_REQUESTED',
      status: 'SUCCESS',
      risk_profile,
      details: { symbol: position.symbol, qty: fill.qty, price: fill.price, realized_pnl: fill.realized_pnl },
      entity_type: 'position',
      entity_id: String(positionId),
    });
    return fill;
  });
}
