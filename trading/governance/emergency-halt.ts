import type { Queryable } from '../../store/db.ts';
import type { AuditEntryInput } from '../audit/audit-entry.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { cancelUnsentOrders } from '../live/halt-on-exchange.ts';
import { closeAllPositions } from '../paper/paper-broker.ts';
import type { TradingScope } from '../scope.ts';
import {
  type HaltAction,
  loadRiskProfile,
  loadState,
  type RiskProfileName,
  type TradingState,
  updateState,
} from '../state-repo.ts';

/**
 * The emergency halt: the one path by which trading stops as an emergency, whether the
 * drawdown limit tripped it (applyDrawdownHalt, called by the run loop) or the user pressed
 * PANIC (panic.ts). It halts with emergency set (clearing it needs the master PIN), audits
 * EMERGENCY_HALT_TRIGGERED as CRITICAL, and carries out an emergency action. TEST does it
 * all here, on paper. LIVE, in this same transaction, cancels the entries recorded but
 * never sent (nothing in flight may leave after a halt) and records the exchange action as
 * pending (halt_action_pending); the live broker carries it out once this commits
 * (halt-exchange-action.ts).
 */

/** The run that triggered the halt, when there is one. */
type Entity = Pick<AuditEntryInput, 'entity_type' | 'entity_id'>;

export const closeAllSlippageWarning =
  'closed at market during an emergency: fills can be far worse than the last price (severe slippage)';

export interface EmergencyTrigger {
  actor: 'SYSTEM' | 'USER';
  /** Kept in state.halt_reason, unless an emergency halt is already in place (its reason stays). */
  halt_reason: string;
  action: HaltAction;
  /** What tripped it, for the audit row. */
  details: Record<string, unknown>;
  asOf: Date;
  run_id?: string;
}

export interface EmergencyOutcome {
  proposals_cancelled: number;
  /** Paper positions closed at market (TEST, MARKET_CLOSE_ALL_AND_HALT); LIVE closes after the commit. */
  closed?: number;
}

/** Expires every pending proposal: a halted system must not leave orders waiting for approval. */
async function cancelPendingProposals(
  tx: Queryable,
  scope: TradingScope,
  risk_profile: RiskProfileName,
  entity: Entity,
): Promise<number> {
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
  return ids.length;
}

/** The paper account's positions, closed at the last close in the halt's transaction. */
async function closeAllAtMarket(
  tx: Queryable,
  scope: TradingScope,
  risk_profile: RiskProfileName,
  t: EmergencyTrigger,
  entity: Entity,
): Promise<number> {
  const { closed, skipped } = await closeAllPositions(tx, scope, t.asOf, t.run_id);
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

/** In the caller's transaction, which holds the state row (`state`, read for update). */
export async function triggerEmergencyHalt(
  tx: Queryable,
  scope: TradingScope,
  state: TradingState,
  t: EmergencyTrigger,
): Promise<EmergencyOutcome> {
  const live = scope.mode === 'LIVE';
  const entity: Entity = t.run_id ? { entity_type: 'run', entity_id: t.run_id } : {};
  await updateState(tx, scope, {
    halted: true,
    emergency: true,
    halt_reason: state.emergency ? state.halt_reason : t.halt_reason,
    halted_at: state.halted_at ?? new Date(),
    ...(live && t.action !== 'HALT_ONLY' ? { halt_action_pending: t.action, halt_action_problem: null } : {}),
  });
  await recordAudit(tx, {
    mode: scope.mode,
    actor: t.actor,
    action_type: 'EMERGENCY_HALT_TRIGGERED',
    status: 'CRITICAL',
    risk_profile: state.risk_profile,
    details: { ...t.details, action: t.action, as_of: t.asOf.toISOString() },
    ...entity,
  });
  if (live) await cancelUnsentOrders(tx, scope, ['entry'], 'cancelled by the emergency halt before it was sent');
  if (t.action === 'HALT_ONLY') return { proposals_cancelled: 0 };
  const proposals_cancelled = await cancelPendingProposals(tx, scope, state.risk_profile, entity);
  if (live || t.action === 'CANCEL_ORDERS_AND_HALT') return { proposals_cancelled };
  return { proposals_cancelled, closed: await closeAllAtMarket(tx, scope, state.risk_profile, t, entity) };
}

export interface DrawdownHaltResult {
  triggered: boolean;
  action: HaltAction;
  /** Positions closed at market (MARKET_CLOSE_ALL_AND_HALT in TEST only: LIVE closes after the commit). */
  closed?: number;
  drawdown_pct: number;
  limit_pct: number;
}

/**
 * The portfolio emergency halt. Called by the run loop inside its trading transaction,
 * after mark-to-market (TEST) or after reconciliation recomputed equity and drawdown from
 * the exchange's balances (LIVE: no drawdown is judged before a reconciled one exists):
 * when trading is not halted yet and the drawdown exceeds the active profile's limit,
 * halts (reason EMERGENCY_DRAWDOWN) and carries out the configured emergency_halt_action.
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
  if (scope.mode === 'LIVE' && state.equity_as_of === null) return result;
  if (state.halted || state.drawdown_pct <= profile.max_drawdown_pct) return result;
  const { closed } = await triggerEmergencyHalt(tx, scope, state, {
    actor: 'SYSTEM',
    halt_reason: 'EMERGENCY_DRAWDOWN',
    action,
    details: { reason: 'DrawdownLimitExceeded', limit_pct: result.limit_pct, drawdown_pct: result.drawdown_pct },
    asOf,
    run_id,
  });
  return { ...result, triggered: true, ...(closed === undefined ? {} : { closed }) };
}
