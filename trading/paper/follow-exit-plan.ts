import { queryRows, type Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuditEntryInput } from '../audit/audit-entry.ts';
import { breakevenReason, breakevenStop } from '../exit-rules.ts';
import { Position } from '../positions-repo.ts';
import type { TradingScope } from '../scope.ts';
import { saveStop } from './paper-ledger.ts';

/**
 * Moves a position's stop to its entry when the exit plan's breakeven rule asks for it
 * (trading/exit-rules.ts), audited as STOP_MOVED with the old and new stop and the reason.
 * Shared by the paper monitor and the LIVE broker (which then moves the stop on the
 * exchange). Returns the position as it now stands (unchanged when the rule leaves it).
 */
export async function moveStopToBreakeven(
  tx: Queryable,
  scope: TradingScope,
  pos: Position,
  o: { ts: Date; run_id: string | null; risk_profile: AuditEntryInput['risk_profile'] },
): Promise<Position> {
  const stop = breakevenStop(pos);
  if (stop === null) return pos;
  const moved = await saveStop(tx, scope, pos.position_id, stop);
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: 'STOP_MOVED',
    status: 'SUCCESS',
    risk_profile: o.risk_profile,
    details: {
      symbol: pos.symbol,
      old_stop: pos.stop_price,
      new_stop: stop,
      reason: breakevenReason(pos),
      take_profits_filled: pos.take_profits.filter((r) => r.filled_at !== null).length,
      ts: o.ts.toISOString(),
      run_id: o.run_id,
    },
    entity_type: 'position',
    entity_id: String(pos.position_id),
  });
  return moved;
}

/** The same for a position known by its id, locked, when it is still open (a LIVE one may have closed meanwhile); null otherwise. */
export async function moveOpenStopToBreakeven(
  tx: Queryable,
  scope: TradingScope,
  positionId: number,
  o: { ts: Date; run_id: string | null },
): Promise<Position | null> {
  const [pos] = await queryRows(
    tx,
    Position,
    `select * from ${scope.table('positions')} where position_id = $1 and status = 'open' for update`,
    [positionId],
  );
  return pos ? moveStopToBreakeven(tx, scope, pos, { ...o, risk_profile: null }) : null;
}
