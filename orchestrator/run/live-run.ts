import { logger } from '../../core/logger.ts';
import type { Db } from '../../store/db.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { heldLiveKeys } from '../../trading/live-account/unlock.ts';
import { loadLiveAccount } from '../../trading/live-account/live-account-repo.ts';
import { isExchangeFault } from '../../trading/live/exchange-port.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { tradingTx, type TradingScope } from '../../trading/scope.ts';
import type { TradingState } from '../../trading/state-repo.ts';
import type { SymbolOutcome } from './run-types.ts';

/**
 * The LIVE side of a run. Before anything is decided, the broker looks up orders left
 * unsettled (recover) and what the exchange did to open positions (supervise: stops and
 * targets hit, gapped stops, unprotected quantity). Entries decided in Full-Auto are
 * recorded in the symbol's transaction and sent here once it committed.
 */

/**
 * The run's live broker: the one given, or the LIVE account's with the keys this process
 * unlocked. Without keys a run may still observe or propose; Full-Auto needs them.
 */
export async function liveRunBroker(
  db: Db,
  scope: TradingScope,
  state: Pick<TradingState, 'operational_mode'>,
  given: LiveBroker | undefined,
): Promise<LiveBroker | undefined> {
  if (scope.mode !== 'LIVE') return undefined;
  if (given) return given;
  if (!(await tradingTx(db, scope, loadLiveAccount))) return undefined;
  if (!heldLiveKeys() && state.operational_mode !== 'full_auto') {
    logger.warn({ mode: scope.mode }, 'LIVE keys locked: open positions are not supervised on the exchange this run');
    return undefined;
  }
  return liveBrokerFor(db);
}

/**
 * Before the run decides: recovery of unsettled orders, then supervision of open positions.
 * An exchange that cannot be reached does not stop the run (its entries then fail their
 * just-in-time checks); it is logged loudly and asked again at the next run.
 */
export async function superviseBeforeRun(db: Db, broker: LiveBroker, o: { now: Date; run_id: string }): Promise<void> {
  try {
    const recovered = await broker.recover(db);
    const supervised = await broker.supervise(db, o);
    logger.info(
      { run_id: o.run_id, recovered: recovered.length, positions: supervised.length },
      'LIVE orders recovered and positions supervised',
    );
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    logger.warn({ run_id: o.run_id, error: e.message }, 'LIVE supervision skipped: the exchange could not be reached');
  }
}

/** Sends the entries the symbol's transaction recorded; each action becomes executed or rejected. */
export async function sendRecordedEntries(db: Db, broker: LiveBroker, outcome: SymbolOutcome, run_id: string) {
  for (const action of outcome.actions ?? []) {
    if (action.action !== 'sent' || !action.client_order_id) continue;
    const sent = await broker.send(db, action.client_order_id);
    if (sent.position_id !== null) {
      action.action = 'executed';
      action.position_id = sent.position_id;
    } else {
      action.action = 'rejected';
      action.reasons = [sent.reason ?? 'the entry did not fill'];
    }
    logger.info(
      { run_id, symbol: outcome.symbol, client_order_id: action.client_order_id, action: action.action },
      sent.reason ?? 'LIVE entry filled and protected',
    );
  }
}
