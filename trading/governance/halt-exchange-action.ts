import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { isExchangeFault } from '../live/exchange-port.ts';
import type { HaltOnExchangeReport } from '../live/halt-on-exchange.ts';
import type { LiveBroker } from '../live/live-broker.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { currentState, loadState, updateState } from '../state-repo.ts';
import { closeAllSlippageWarning } from './emergency-halt.ts';

/**
 * The LIVE emergency halt's exchange action, resumable: applyDrawdownHalt records it as
 * pending (state.halt_action_pending) in the halt's transaction; each call here, right
 * after that commit and at every later LIVE run while it stays pending, has the live broker
 * carry it out (trading/live/halt-on-exchange.ts). Only a pass that found nothing left to
 * do clears it; otherwise the reason is kept (halt_action_problem, shown by `trader
 * status`) for the next run. So a process killed half-way, or an exchange failing
 * half-way, leaves the rest for later, and the run goes on either way. Each pass is audited
 * EMERGENCY_HALT_ACTION: SUCCESS when done, FAILURE with the reasons when not.
 */

export interface HaltActionOutcome extends HaltOnExchangeReport {
  /** True when nothing is left to do: the pending action is cleared. */
  done: boolean;
}

/** Null when no action is pending; otherwise what this pass did. */
export async function carryOutHaltAction(
  db: Db,
  scope: TradingScope,
  broker: LiveBroker,
  o: { now: Date; run_id: string | null },
): Promise<HaltActionOutcome | null> {
  const action = (await currentState(db, scope)).halt_action_pending;
  if (!action) return null;
  let report: HaltOnExchangeReport;
  try {
    report = await broker.haltAction(db, action, o);
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    report = {
      action,
      cancelled: [],
      closed: [],
      notes: [],
      problems: [`The exchange could not be reached: ${e.message}`],
    };
  }
  const done = report.problems.length === 0;
  await tradingTx(db, scope, async (tx) => {
    const state = await loadState(tx, scope, { forUpdate: true });
    // `trader halt clear` may have dropped it meanwhile: then the user decides, and the state stays as they left it.
    if (state.halt_action_pending === action)
      await updateState(
        tx,
        scope,
        done
          ? { halt_action_pending: null, halt_action_problem: null }
          : { halt_action_problem: report.problems.join(' ').slice(0, 2000) },
      );
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'SYSTEM',
      action_type: 'EMERGENCY_HALT_ACTION',
      status: done ? 'SUCCESS' : 'FAILURE',
      risk_profile: state.risk_profile,
      details: {
        ...report,
        done,
        ...(action === 'MARKET_CLOSE_ALL_AND_HALT' ? { slippage_warning: closeAllSlippageWarning } : {}),
      },
      ...(o.run_id ? { entity_type: 'run', entity_id: o.run_id } : {}),
    });
  });
  return { ...report, done };
}
