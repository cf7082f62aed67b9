import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { loadRiskProfile, loadState, OperationalMode, updateState, type TradingState } from '../state-repo.ts';
import { auditUserAction, confirmOrRefuse, refuseUserAction, type Ask } from './user-action.ts';
import { quote } from '../../core/quote.ts';
import { loadLiveAccount } from '../live-account/live-account-repo.ts';

/** Autonomy grows along this order; moving right needs the user's confirmation, moving left never does. */
const autonomy: readonly OperationalMode[] = ['observe', 'semi_auto', 'full_auto'];

/** Reads `semi_auto` and the `semi-auto` spelling (any case); anything else is bad input naming the valid values. */
export function parseOperationalMode(text: string): OperationalMode {
  const parsed = OperationalMode.safeParse(text.trim().toLowerCase().replace(/-/g, '_'));
  if (!parsed.success)
    throw new TraderError('BAD_INPUT', `Unknown mode ${quote(text)}; use observe, semi_auto or full_auto.`);
  return parsed.data;
}

export interface ModeChange {
  from: OperationalMode;
  to: OperationalMode;
  changed: boolean;
  state: TradingState;
}

/**
 * Why a mode cannot be chosen in this scope at all, before anyone is asked anything: LIVE
 * may propose or execute only once a LIVE account exists (`trader live init`: keys, caps,
 * the acknowledged risk).
 */
async function unavailable(db: Db, scope: TradingScope, mode: OperationalMode): Promise<TraderError | undefined> {
  if (scope.mode === 'LIVE' && mode !== 'observe' && !(await tradingTx(db, scope, loadLiveAccount))) {
    return new TraderError(
      'CONFIG_INVALID',
      `LIVE may only observe until a LIVE account exists; run \`trader live init\` before switching to ${mode}.`,
    );
  }
  return undefined;
}

/** The plain-language warning shown before autonomy is raised. */
async function raiseWarning(db: Db, scope: TradingScope, state: TradingState, to: OperationalMode): Promise<string> {
  const p = await tradingTx(db, scope, (tx) => loadRiskProfile(tx, scope, state.risk_profile));
  const limits = `the ${p.profile} risk profile risks ${p.risk_per_trade_pct}% of equity per trade and halts at ${p.max_drawdown_pct}% drawdown`;
  const money = scope.mode === 'TEST' ? 'paper money (TEST)' : 'real money (LIVE)';
  if (to === 'semi_auto') {
    return `Semi-automatic mode turns signals into trade proposals in ${money}; each one is executed once you approve it (${limits}). Switch to semi_auto?`;
  }
  return `Fully-automatic mode: trades are executed without asking you, in ${money}, until you halt trading or lower the mode (${limits}). Switch to full_auto?`;
}

/**
 * Changes the operational mode of the scope. Raising autonomy (observe < semi_auto <
 * full_auto) asks `ask.confirm` with a warning first; lowering never asks. Every outcome
 * is audited as MODE_CHANGE with actor USER: SUCCESS, REJECTED when the user declines,
 * FAILURE when the mode is not available.
 */
export async function setOperationalMode(
  db: Db,
  scope: TradingScope,
  mode: OperationalMode,
  ask: Pick<Ask, 'confirm'>,
): Promise<ModeChange> {
  const before = await tradingTx(db, scope, (tx) => loadState(tx, scope));
  const details = { from: before.operational_mode, to: mode };
  const refusal = await unavailable(db, scope, mode);
  if (refusal)
    await refuseUserAction(
      db,
      scope,
      before.risk_profile,
      { action_type: 'MODE_CHANGE', status: 'FAILURE', details },
      refusal,
    );

  const raising = autonomy.indexOf(mode) > autonomy.indexOf(before.operational_mode);
  if (raising) {
    const declined = new TraderError(
      'BAD_INPUT',
      `You did not confirm the switch to ${mode}; the mode stays ${before.operational_mode}.`,
    );
    await confirmOrRefuse(
      db,
      scope,
      before.risk_profile,
      ask,
      await raiseWarning(db, scope, before, mode),
      { action_type: 'MODE_CHANGE', details },
      declined,
    );
  }

  return tradingTx(db, scope, async (tx) => {
    const current = await loadState(tx, scope, { forUpdate: true });
    const from = current.operational_mode;
    // Someone lowered the mode while we asked nothing: this would now raise it unconfirmed.
    if (!raising && autonomy.indexOf(mode) > autonomy.indexOf(from)) {
      throw new TraderError('CONFIG_INVALID', `The mode changed to ${from} meanwhile; run the command again.`);
    }
    const changed = from !== mode;
    const state = changed ? await updateState(tx, scope, { operational_mode: mode }) : current;
    await auditUserAction(tx, scope, current.risk_profile, 'MODE_CHANGE', changed ? 'SUCCESS' : 'INFO', {
      from,
      to: mode,
      confirmed: raising,
    });
    return { from, to: mode, changed, state };
  });
}
