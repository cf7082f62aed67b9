import { TraderError } from '../../core/errors.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { loadLiveAccount } from '../live-account/live-account-repo.ts';
import type { LiveBroker } from '../live/live-broker.ts';
import { listOpenPositions } from '../positions-repo.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { type ExchangeHaltAction, type HaltAction, loadState, type TradingState } from '../state-repo.ts';
import { triggerEmergencyHalt } from './emergency-halt.ts';
import { closeAllPhrase } from './halt-action.ts';
import { carryOutHaltAction, type HaltActionOutcome } from './halt-exchange-action.ts';
import { refusedOnError, refuseUserAction, typedPhraseOrRefuse, type Ask } from './user-action.ts';

/**
 * The seed's PANIC button ("Attempt Market Close All & Halt", section 11): the user trips
 * the emergency halt by hand. It uses the configured emergency_halt_action when that is
 * MARKET_CLOSE_ALL_AND_HALT (which the user acknowledged when choosing it), and otherwise
 * cancels and halts: a panic never does less than cancel. The extreme confirmation is a
 * typed phrase after a warning that counts what will be cancelled and sold, then in LIVE
 * the master PIN (openBroker). The halt commits first through the emergency halt's own path
 * (emergency-halt.ts: audited CRITICAL with actor USER, clearing needs `trader halt clear`);
 * LIVE then carries out the exchange action at once. What the exchange refuses stays
 * pending, and every later LIVE run (or a second PANIC) carries on with it.
 */

export const cancelAllPhrase = 'CANCEL ALL AND HALT';

export interface PanicRequest {
  reason?: string;
  ask: Pick<Ask, 'phrase'>;
  /** LIVE: opens the live broker once the phrase matched (the adapter asks the master PIN there). */
  openBroker: () => Promise<LiveBroker>;
  now?: Date;
}

export interface PanicReport {
  mode: TradingScope['mode'];
  action: ExchangeHaltAction;
  state: TradingState;
  proposals_cancelled: number;
  /** TEST: paper positions closed at market (null when the action only cancels). */
  closed: number | null;
  /** LIVE: what the exchange pass did; `done` false leaves the rest pending for the next LIVE run. */
  exchange: HaltActionOutcome | null;
}

export const panicAction = (configured: HaltAction): ExchangeHaltAction =>
  configured === 'MARKET_CLOSE_ALL_AND_HALT' ? configured : 'CANCEL_ORDERS_AND_HALT';

export const panicPhrase = (action: ExchangeHaltAction) =>
  action === 'MARKET_CLOSE_ALL_AND_HALT' ? closeAllPhrase : cancelAllPhrase;

interface Exposure {
  state: TradingState;
  open_positions: number;
  pending_proposals: number;
  has_account: boolean;
}

async function exposure(tx: Queryable, scope: TradingScope): Promise<Exposure> {
  const [row] = await tx.query<{ n: number }>(
    `select count(*)::int as n from ${scope.table('proposals')} where status = 'pending'`,
  );
  return {
    state: await loadState(tx, scope),
    open_positions: (await listOpenPositions(tx, scope)).length,
    pending_proposals: Number(row?.n ?? 0),
    has_account: scope.mode === 'LIVE' && (await loadLiveAccount(tx)) !== null,
  };
}

export function panicWarning(scope: TradingScope, action: ExchangeHaltAction, e: Exposure): string {
  const where = scope.mode === 'LIVE' ? 'on the exchange, with real money' : 'on paper';
  return [
    `PANIC in ${scope.mode}: trading stops as an EMERGENCY (only \`trader halt clear\` with the master PIN lifts it).`,
    `${e.pending_proposals} pending proposal(s) will be cancelled${scope.mode === 'LIVE' ? ", and every open order of trader's that is not a stop" : ''}.`,
    action === 'MARKET_CLOSE_ALL_AND_HALT'
      ? `All ${e.open_positions} open position(s) will be SOLD AT MARKET ${where}: in a fast or thin market the fills can be far worse than the last price (severe slippage), and the loss is locked in.`
      : `The ${e.open_positions} open position(s) stay open with their stops (the emergency halt action is ${e.state.emergency_halt_action}; \`trader halt action MARKET_CLOSE_ALL_AND_HALT\` makes PANIC sell them).`,
  ].join('\n');
}

export async function panicHalt(db: Db, scope: TradingScope, r: PanicRequest): Promise<PanicReport> {
  const before = await tradingTx(db, scope, (tx) => exposure(tx, scope));
  const action = panicAction(before.state.emergency_halt_action);
  const profile = before.state.risk_profile;
  const audit = { action_type: 'EMERGENCY_HALT_TRIGGERED', details: { reason: 'UserPanic', action } };
  if (scope.mode === 'LIVE' && !before.has_account)
    await refuseUserAction(
      db,
      scope,
      profile,
      { ...audit, status: 'FAILURE' },
      new TraderError(
        'BAD_INPUT',
        'There is no LIVE account, so nothing is on an exchange to cancel or sell; stop trading with `trader halt`.',
      ),
    );
  const phrase = panicPhrase(action);
  await typedPhraseOrRefuse(
    db,
    scope,
    profile,
    r.ask,
    { warning: panicWarning(scope, action, before), phrase },
    audit,
    new TraderError('BAD_INPUT', `The confirmation did not match; type ${phrase} exactly. Nothing was halted.`),
  );
  const broker = scope.mode === 'LIVE' ? await refusedOnError(db, scope, profile, audit, r.openBroker) : undefined;
  const now = r.now ?? new Date();
  const reason = r.reason?.trim();
  const outcome = await tradingTx(db, scope, async (tx) =>
    triggerEmergencyHalt(tx, scope, await loadState(tx, scope, { forUpdate: true }), {
      actor: 'USER',
      halt_reason: reason ? `PANIC: ${reason}` : 'PANIC',
      action,
      details: { reason: 'UserPanic', ...(reason ? { note: reason } : {}) },
      asOf: now,
    }),
  );
  const exchange = broker ? await carryOutHaltAction(db, scope, broker, { now, run_id: null }) : null;
  return {
    mode: scope.mode,
    action,
    state: await tradingTx(db, scope, (tx) => loadState(tx, scope)),
    proposals_cancelled: outcome.proposals_cancelled,
    closed: outcome.closed ?? null,
    exchange,
  };
}

export function describePanic(r: PanicReport): string {
  const done = [`EMERGENCY STOPPED (${r.mode}) by PANIC`, `${r.proposals_cancelled} proposal(s) cancelled`];
  if (r.closed !== null) done.push(`${r.closed} paper position(s) sold at market`);
  if (r.exchange)
    done.push(
      `${r.exchange.cancelled.length} order(s) cancelled and ${r.exchange.closed.length} position(s) sold on the exchange`,
    );
  return `${done.join('; ')}. Review the account, then lift it with \`trader halt clear\`.`;
}

/** The error for a LIVE panic whose exchange pass did not finish (the halt stands), or null. */
export function panicUnfinished(r: PanicReport): TraderError | null {
  if (!r.exchange || r.exchange.done) return null;
  return new TraderError(
    'TRANSIENT',
    `${describePanic(r)} The exchange did not finish: ${r.exchange.problems.join(' ')} It stays pending; the next LIVE run carries on, or press PANIC again.`,
  );
}
