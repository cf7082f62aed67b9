import { TraderError } from '../../core/errors.ts';
import type { Db, Queryable } from '../../store/db.ts';
import type { AuditEntryInput } from '../audit/audit-entry.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { cancelUnsentOrders } from '../live/halt-on-exchange.ts';
import { isReconciliationHalt } from '../live/reconcile/halt-reason.ts';
import { closeAllPositions } from '../paper/paper-broker.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import {
  type HaltAction,
  loadRiskProfile,
  loadState,
  type RiskProfileName,
  type TradingState,
  updateState,
} from '../state-repo.ts';
import { askVerifiedPin, auditUserAction, confirmOrRefuse, refuseUserAction, type Ask } from './user-action.ts';

/**
 * The user's halt controls: a manual halt and its resume, and clearing an emergency
 * (drawdown) halt, which needs the master PIN; and the emergency halt itself
 * (applyDrawdownHalt). A halt stops new trades; open positions are still monitored.
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
 * the user re-selects a mode, so the mode drops to observe). The drawdown is measured
 * from the current equity afterwards: left against the old peak, the next run would
 * halt again at once and the reset could never hold.
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
    // A peak must stay positive: with nothing left, keep the old one (and the halt will come back).
    const peak = current.equity > 0 ? current.equity : current.peak_equity;
    const state = await updateState(tx, scope, {
      halted: false,
      emergency: false,
      halt_reason: 'MANUAL_RESET',
      halted_at: null,
      operational_mode: 'observe',
      peak_equity: peak,
      drawdown_pct: current.equity > 0 ? 0 : current.drawdown_pct,
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

/** The run that triggered the halt, when there is one. */
type Entity = Pick<AuditEntryInput, 'entity_type' | 'entity_id'>;

export interface DrawdownHaltResult {
  triggered: boolean;
  action: HaltAction;
  /** Positions closed at market (MARKET_CLOSE_ALL_AND_HALT in TEST only: LIVE closes after the commit). */
  closed?: number;
  drawdown_pct: number;
  limit_pct: number;
}

/** Expires every pending proposal: a halted system must not leave orders waiting for approval. */
async function cancelPendingProposals(
  tx: Queryable,
  scope: TradingScope,
  risk_profile: RiskProfileName,
  entity: Entity,
): Promise<void> {
  const rows = await tx.query<{ proposal_id: number }>(
    `update ${scope.table('proposals')} set status = 'expired', decided_at = now(), decision_note = 'cancelled by emergency halt'
     where status = 'pending' returning proposal_id`,
  );
  const ids = rows.map((r) => Number(r.proposal_id));
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: 'PROPOSALS_CANCELLED',
    status: 'SUCCESS',
    risk_profile,
    details: { count: ids.length, proposal_ids: ids },
    ...entity,
  });
}

export const closeAllSlippageWarning =
  'closed at market during an emergency: fills can be far worse than the last price (severe slippage)';

/** The paper account's positions, closed at the last close in the halt's transaction. */
async function closeAllAtMarket(
  tx: Queryable,
  scope: TradingScope,
  risk_profile: RiskProfileName,
  asOf: Date,
  run_id: string | undefined,
  entity: Entity,
): Promise<number> {
  const { closed, skipped } = await closeAllPositions(tx, scope, asOf, run_id);
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: 'EMERGENCY_CLOSE_ALL',
    status: 'WARNING',
    risk_profile,
    details: { closed, skipped_without_price: skipped, slippage_warning: closeAllSlippageWarning },
    ...entity,
  });
  return closed;
}

/**
 * The portfolio emergency halt. Called by the run loop inside its trading transaction,
 * after mark-to-market (TEST) or after reconciliation recomputed equity and drawdown from
 * the exchange's balances (LIVE: no drawdown is judged before a reconciled one exists):
 * when trading is not halted yet and the drawdown exceeds the active profile's limit,
 * halts (emergency, reason EMERGENCY_DRAWDOWN, audited CRITICAL) and then carries out the
 * configured emergency_halt_action. TEST does it all here, on paper. LIVE, in this same
 * transaction, cancels the entries recorded but never sent (nothing in flight may leave
 * after a halt) and records the exchange action as pending (halt_action_pending); the
 * live broker carries it out once this commits (halt-exchange-action.ts).
 */
export async function applyDrawdownHalt(
  tx: Queryable,
  scope: TradingScope,
  asOf: Date,
  run_id?: string,
): Promise<DrawdownHaltResult> {
  const state = await loadState(tx, scope, { forUpdate: true });
  const profile = await loadRiskProfile(tx, scope, state.risk_profile);
  const action = state.emergency_halt_action;
  const result = { triggered: false, action, drawdown_pct: state.drawdown_pct, limit_pct: profile.max_drawdown_pct };
  const live = scope.mode === 'LIVE';
  if (live && state.equity_as_of === null) return result;
  if (state.halted || state.drawdown_pct <= profile.max_drawdown_pct) return result;

  const entity: Entity = run_id ? { entity_type: 'run', entity_id: run_id } : {};
  await updateState(tx, scope, {
    halted: true,
    emergency: true,
    halt_reason: 'EMERGENCY_DRAWDOWN',
    halted_at: new Date(),
    ...(live && action !== 'HALT_ONLY' ? { halt_action_pending: action, halt_action_problem: null } : {}),
  });
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: 'EMERGENCY_HALT_TRIGGERED',
    status: 'CRITICAL',
    risk_profile: state.risk_profile,
    details: {
      reason: 'DrawdownLimitExceeded',
      limit_pct: result.limit_pct,
      drawdown_pct: result.drawdown_pct,
      action,
      as_of: asOf.toISOString(),
    },
    ...entity,
  });
  if (live) await cancelUnsentOrders(tx, scope, ['entry'], 'cancelled by the emergency halt before it was sent');
  if (action === 'HALT_ONLY') return { ...result, triggered: true };
  await cancelPendingProposals(tx, scope, state.risk_profile, entity);
  if (live || action === 'CANCEL_ORDERS_AND_HALT') return { ...result, triggered: true };
  return {
    ...result,
    triggered: true,
    closed: await closeAllAtMarket(tx, scope, state.risk_profile, asOf, run_id, entity),
  };
}
