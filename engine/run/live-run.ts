import { logger } from '../../core/logger.ts';
import { carryOutHaltAction } from '../../trading/governance/halt-exchange-action.ts';
import type { Db } from '../../store/db.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { heldLiveKeys } from '../../trading/live-account/unlock.ts';
import { loadLiveAccount } from '../../trading/live-account/live-account-repo.ts';
import { isExchangeFault } from '../../trading/live/exchange-port.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { tradingTx, type TradingScope } from '../../trading/scope.ts';
import { currentState, type TradingState } from '../../trading/state-repo.ts';
import type { SymbolOutcome } from './run-types.ts';

/**
 * The LIVE side of a run. Before anything is decided, the broker looks up orders left
 * unsettled (recover) and what the exchange did to open positions (supervise: stops and
 * targets hit, gapped stops, unprotected quantity), and carries out an emergency halt's
 * exchange action still owed. Entries decided in Full-Auto are recorded in the symbol's
 * transaction and sent here once it committed.
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
 * After the run's prelude committed (it may have just triggered the emergency halt): the
 * halt's exchange action still owed, carried out by the broker (governance/halt-exchange-
 * action.ts). Without a broker (LIVE keys locked) it waits for a run that has one, loudly.
 */
export async function haltActionAfterPrelude(
  db: Db,
  scope: TradingScope,
  broker: LiveBroker | undefined,
  o: { now: Date; run_id: string },
): Promise<void> {
  if (!broker) {
    const { halt_action_pending } = await currentState(db, scope);
    if (halt_action_pending)
      logger.error(
        { run_id: o.run_id, action: halt_action_pending },
        'EMERGENCY HALT: its exchange action waits for a LIVE run with the keys unlocked',
      );
    return;
  }
  const outcome = await carryOutHaltAction(db, scope, broker, o);
  if (outcome)
    logger[outcome.done ? 'warn' : 'error'](
      {
        run_id: o.run_id,
        action: outcome.action,
        cancelled: outcome.cancelled.length,
        closed: outcome.closed.length,
        problems: outcome.problems,
      },
      outcome.done
        ? 'EMERGENCY HALT: exchange action carried out'
        : 'EMERGENCY HALT: exchange action not finished; the next LIVE run carries on',
    );
}

/** Whether a symbol's transaction left exits or entries for the live broker to send once it committed. */
export const hasSends = (outcome: SymbolOutcome): boolean =>
  (outcome.actions ?? []).some((a) => a.action === 'sent' && a.client_order_id) ||
  (outcome.exits ?? []).some((x) => x.action === 'sent');

/** What a symbol's committed transaction recorded for the exchange: its exits closed, then its entries sent. */
export async function sendDecided(
  db: Db,
  broker: LiveBroker,
  outcome: SymbolOutcome,
  o: { run_id: string; as_of: Date },
): Promise<void> {
  await sendExitCloses(db, broker, outcome, o);
  await sendRecordedEntries(db, broker, outcome, o.run_id);
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

/**
 * Closes at market, through the live broker, the positions whose exit requests the
 * symbol's transaction marked `sent` (LIVE Full-Auto); each becomes closed (at the average
 * price of the close's fills) or failed with the reason, the position then still open.
 * The close's client id comes from the position and the decision time, so a retry after a
 * crash finds the order instead of selling twice.
 */
export async function sendExitCloses(
  db: Db,
  broker: LiveBroker,
  outcome: SymbolOutcome,
  o: { run_id: string; as_of: Date },
) {
  for (const exit of outcome.exits ?? []) {
    if (exit.action !== 'sent') continue;
    let problem: string | null;
    try {
      const r = await broker.close(db, exit.position_id, {
        reason: `exit request: ${exit.reason}`,
        ts: o.as_of,
        run_id: o.run_id,
      });
      const sold = r.booked.filter((b) => b.trade.kind === 'close');
      const qty = sold.reduce((sum, b) => sum + b.trade.qty, 0);
      // One fill: its own price, exactly; several: their volume-weighted average.
      if (r.position === null && qty > 0)
        exit.fill_price =
          sold.length === 1
            ? sold[0]!.trade.price
            : sold.reduce((sum, b) => sum + b.trade.qty * b.trade.price, 0) / qty;
      problem = r.position === null ? null : (r.problem ?? 'the position is still open');
    } catch (e) {
      if (!isExchangeFault(e)) throw e;
      problem = `the exchange could not be reached (${e.message}); the position stays open`;
    }
    exit.action = problem === null ? 'closed' : 'failed';
    if (problem !== null) exit.problem = problem;
    logger.info(
      { run_id: o.run_id, symbol: outcome.symbol, position_id: exit.position_id, action: exit.action },
      problem ?? 'LIVE position closed on an exit request',
    );
  }
}
