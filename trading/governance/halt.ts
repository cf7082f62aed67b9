import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { isReconciliationHalt } from '../live/reconcile/halt-reason.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { loadRiskProfile, loadState, type TradingState, updateState } from '../state-repo.ts';
import { askVerifiedPin, auditUserAction, confirmOrRefuse, refuseUserAction, type Ask } from './user-action.ts';

/**
 * The user's halt controls: a manual halt and its resume, and clearing an emergency halt
 * (drawdown or PANIC: emergency-halt.ts, panic.ts), which needs the master PIN. A halt
 * stops new trades; open positions are still monitored.
 */

export interface HaltChange {
  changed: boolean;
  state: TradingState;
}

const emergencyNeedsPin = () =>
  new TraderError('HALTED', 'An emergency halt needs `trader halt clear` with the master PIN.');
const reconciliationNeedsAccept = () =>
  new TraderError(
    'HALTED',
    'LIVE is halted by an unexplained difference with the exchange; review it with `trader reconcile` and resolve it with `trader reconcile --accept` (master PIN).',
  );

/** Halts trading with halt_reason 'MANUAL: <reason>', after `ask.confirm`. An existing halt (of any kind) is left as it is. */
export async function haltTrading(
  db: Db,
  scope: TradingScope,
  reason: string | undefined,
  ask: Pick<Ask, 'confirm'>,
): Promise<HaltChange> {
  const text = reason?.trim() ? `MANUAL: ${reason.trim()}` : 'MANUAL';
  const before = await tradingTx(db, scope, (tx) => loadState(tx, scope));
  if (!before.halted) {
    const warning = `Halt trading in ${scope.mode}? No new trades or proposals until you run \`trader resume\`; open positions stay monitored.`;
    const declined = new TraderError('BAD_INPUT', 'You did not confirm the halt; trading continues.');
    await confirmOrRefuse(
      db,
      scope,
      before.risk_profile,
      ask,
      warning,
      { action_type: 'TRADING_HALTED', details: { reason: text } },
      declined,
    );
  }
  return tradingTx(db, scope, async (tx) => {
    const current = await loadState(tx, scope, { forUpdate: true });
    if (current.halted) {
      await auditUserAction(tx, scope, current.risk_profile, 'TRADING_HALTED', 'INFO', {
        reason: text,
        already_halted: current.halt_reason,
      });
      return { changed: false, state: current };
    }
    const state = await updateState(tx, scope, { halted: true, halt_reason: text, halted_at: new Date() });
    await auditUserAction(tx, scope, current.risk_profile, 'TRADING_HALTED', 'SUCCESS', { reason: text });
    return { changed: true, state };
  });
}

/** Lifts a manual halt, after `ask.confirm`. An emergency halt is refused: it needs clearEmergencyHalt. */
export async function resumeTrading(db: Db, scope: TradingScope, ask: Pick<Ask, 'confirm'>): Promise<HaltChange> {
  const before = await tradingTx(db, scope, (tx) => loadState(tx, scope));
  const audit = { action_type: 'TRADING_RESUMED', details: { halt_reason: before.halt_reason } };
  if (before.emergency)
    await refuseUserAction(db, scope, before.risk_profile, { ...audit, status: 'FAILURE' }, emergencyNeedsPin());
  if (isReconciliationHalt(before.halt_reason))
    await refuseUserAction(
      db,
      scope,
      before.risk_profile,
      { ...audit, status: 'FAILURE' },
      reconciliationNeedsAccept(),
    );
  if (before.halted) {
    const warning = `Resume trading in ${scope.mode}? The pipeline may act again in ${before.operational_mode} mode.`;
    await confirmOrRefuse(
      db,
      scope,
      before.risk_profile,
      ask,
      warning,
      audit,
      new TraderError('BAD_INPUT', 'You did not confirm; trading stays halted.'),
    );
  }
  return tradingTx(db, scope, async (tx) => {
    const current = await loadState(tx, scope, { forUpdate: true });
    // The drawdown halt may have fired while the user was reading the question.
    if (current.emergency) throw emergencyNeedsPin();
    if (isReconciliationHalt(current.halt_reason)) throw reconciliationNeedsAccept();
    if (!current.halted) {
      await auditUserAction(tx, scope, current.risk_profile, 'TRADING_RESUMED', 'INFO', { already_running: true });
      return { changed: false, state: current };
    }
    const state = await updateState(tx, scope, { halted: false, halt_reason: null, halted_at: null });
    await auditUserAction(tx, scope, current.risk_profile, 'TRADING_RESUMED', 'SUCCESS', {
      halt_reason: current.halt_reason,
    });
    return { changed: true, state };
  });
}

/**
 * Clears an emergency halt once the master PIN verifies (seed: manual review, PIN, then
 * the user re-selects a mode, so the mode drops to observe). When the drawdown is past
 * the profile's limit, it is measured from the current equity afterwards: left against the
 * old peak, the next run would halt again at once and the reset could never hold. Within
 * the limit (a PANIC pressed early) the peak stays, so no loss is forgotten.
 */
export async function clearEmergencyHalt(db: Db, scope: TradingScope, ask: Pick<Ask, 'pin'>): Promise<HaltChange> {
  const before = await tradingTx(db, scope, (tx) => loadState(tx, scope));
  const audit = (details: Record<string, unknown>) => ({
    action_type: 'EMERGENCY_HALT_CLEARED',
    status: 'FAILURE' as const,
    details,
  });
  if (!before.emergency) {
    const error = before.halted
      ? new TraderError('BAD_INPUT', 'Trading is halted manually, not by an emergency; lift it with `trader resume`.')
      : new TraderError('BAD_INPUT', 'There is no emergency halt to clear.');
    await refuseUserAction(db, scope, before.risk_profile, audit({ stage: 'state' }), error);
  }
  try {
    await askVerifiedPin(db, ask, 'clear emergency halt');
  } catch (e) {
    if (e instanceof TraderError) await refuseUserAction(db, scope, before.risk_profile, audit({ stage: 'pin' }), e);
    throw e;
  }
  return tradingTx(db, scope, async (tx) => {
    const current = await loadState(tx, scope, { forUpdate: true });
    if (!current.emergency) return { changed: false, state: current };
    const { max_drawdown_pct } = await loadRiskProfile(tx, scope, current.risk_profile);
    const rebase = current.drawdown_pct > max_drawdown_pct && current.equity > 0;
    // A peak must stay positive: with nothing left, keep the old one (and the halt will come back).
    const peak = rebase ? current.equity : current.peak_equity;
    const state = await updateState(tx, scope, {
      halted: false,
      emergency: false,
      halt_reason: 'MANUAL_RESET',
      halted_at: null,
      operational_mode: 'observe',
      peak_equity: peak,
      drawdown_pct: rebase ? 0 : current.drawdown_pct,
      // The user reviewed the account: an exchange action still owed is theirs to decide now.
      halt_action_pending: null,
      halt_action_problem: null,
    });
    await auditUserAction(tx, scope, current.risk_profile, 'EMERGENCY_HALT_CLEARED', 'SUCCESS', {
      ...(current.halt_action_pending ? { dropped_halt_action: current.halt_action_pending } : {}),
      previous_mode: current.operational_mode,
      drawdown_pct: current.drawdown_pct,
      previous_peak_equity: current.peak_equity,
      new_peak_equity: peak,
    });
    return { changed: true, state };
  });
}
