import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { HaltAction, loadState, type TradingState, updateState } from '../state-repo.ts';
import { auditUserAction, typedPhraseOrRefuse, type Ask } from './user-action.ts';
import { quote } from '../../core/quote.ts';

/** What the user types to accept market closes on an emergency halt. Not a secret: it may come from argv. */
export const closeAllPhrase = 'CLOSE ALL AT MARKET';

export const closeAllWarning = [
  'MARKET_CLOSE_ALL_AND_HALT: when the drawdown limit is hit, every open position is closed with a MARKET order.',
  'In a fast or thin market those fills can be far worse than the last price (severe slippage), and the loss is locked in.',
  'HALT_ONLY (the default) stops new trades and leaves the decision to you.',
].join('\n');

/** Reads an action name in any case, '-' for '_'; anything else is bad input naming the valid values. */
export function parseHaltAction(text: string): HaltAction {
  const parsed = HaltAction.safeParse(text.trim().toUpperCase().replace(/-/g, '_'));
  if (!parsed.success)
    throw new TraderError(
      'BAD_INPUT',
      `Unknown halt action ${quote(text)}; use HALT_ONLY, CANCEL_ORDERS_AND_HALT or MARKET_CLOSE_ALL_AND_HALT.`,
    );
  return parsed.data;
}

/**
 * Sets what the emergency halt does. MARKET_CLOSE_ALL_AND_HALT needs the typed
 * acknowledgement, recorded as close_all_acknowledged_at; leaving it clears that time,
 * so choosing it again asks again. Audited as HALT_ACTION_CHANGED (FAILURE on a wrong phrase).
 */
export async function setHaltAction(
  db: Db,
  scope: TradingScope,
  action: HaltAction,
  ask: Pick<Ask, 'phrase'>,
): Promise<TradingState> {
  const closeAll = action === 'MARKET_CLOSE_ALL_AND_HALT';
  if (closeAll) {
    const { risk_profile, emergency_halt_action } = await tradingTx(db, scope, (tx) => loadState(tx, scope));
    await typedPhraseOrRefuse(
      db,
      scope,
      risk_profile,
      ask,
      { warning: closeAllWarning, phrase: closeAllPhrase },
      {
        action_type: 'HALT_ACTION_CHANGED',
        details: { from: emergency_halt_action, to: action, stage: 'acknowledgement' },
      },
      new TraderError(
        'BAD_INPUT',
        `The acknowledgement did not match; type ${closeAllPhrase} exactly. The halt action stays ${emergency_halt_action}.`,
      ),
    );
  }
  return tradingTx(db, scope, async (tx) => {
    const current = await loadState(tx, scope, { forUpdate: true });
    const state = await updateState(tx, scope, {
      emergency_halt_action: action,
      close_all_acknowledged_at: closeAll ? new Date() : null,
    });
    await auditUserAction(tx, scope, current.risk_profile, 'HALT_ACTION_CHANGED', 'SUCCESS', {
      from: current.emergency_halt_action,
      to: action,
      ...(closeAll ? { acknowledged: closeAllPhrase } : {}),
    });
    return state;
  });
}
