import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { listOpenPositions } from '../positions-repo.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { closeLivePosition } from './close-live-position.ts';
import type { ExchangePort } from './exchange-port.ts';
import { type ExitPlanStep, followExitPlanLive } from './follow-exit-plan-live.ts';
import type { LiveOrder } from './orders-repo.ts';
import { activeProtection, protectPosition } from './protect-position.ts';
import { settleOrder } from './settle-orders.ts';

/**
 * The LIVE position monitor, run at the start of every `trader run` (and by whoever holds
 * LIVE positions): for each open position on this exchange,
 * 1. its stop and take-profit orders are looked up; fills the exchange made while we were
 *    not looking (a stop hit overnight, a target reached) are booked with their real fees;
 * 2. a stop-loss-limit that triggered but could not fill, because the price gapped past its
 *    limit (the last price is at or below the trigger AND below the limit), is the gapped-
 *    stop case: the documented fallback cancels it (with its OCO partner) and sells what is
 *    left at market (close-live-position.ts), audited as LIVE_STOP_GAPPED;
 * 3. the exit plan's rules (follow-exit-plan-live.ts): the time stop closes at market; the
 *    breakeven rule moves the stop, its old protection cancelled;
 * 4. an open position with no live protection (a partial entry, a crash between the entry
 *    and its stop, a target refused, a stop just moved) is protected again, at its stop as
 *    the database holds it now.
 */

export interface SupervisedPosition {
  position_id: number;
  symbol: string;
  fills_booked: number;
  action:
    | 'watched'
    | 'closed_by_exchange'
    | 'gapped_stop_closed'
    | 'time_stop_closed'
    | 'breakeven_closed'
    | 'stop_moved'
    | 'protected'
    | 'problem';
  detail: string | null;
}

function gapped(order: LiveOrder, price: number): boolean {
  return (
    order.role === 'stop' &&
    order.stop_price !== null &&
    order.price !== null &&
    price <= order.stop_price &&
    price < order.price
  );
}

export async function superviseLivePositions(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  o: { now: Date; run_id: string | null; onStep?: (step: ExitPlanStep) => void | Promise<void> },
): Promise<SupervisedPosition[]> {
  const positions = await tradingTx(db, scope, (tx) => listOpenPositions(tx, scope));
  const out: SupervisedPosition[] = [];
  for (const position of positions.filter((p) => p.exchange === port.exchange)) {
    const report: SupervisedPosition = {
      position_id: position.position_id,
      symbol: position.symbol,
      fills_booked: 0,
      action: 'watched',
      detail: null,
    };
    out.push(report);
    const market = await port.market(position.symbol);
    const price = await port.price(position.symbol);
    let stillOpen: LiveOrder[] = [];
    let closed = false;
    for (const order of await tradingTx(db, scope, (tx) => activeProtection(tx, scope, position.position_id))) {
      const settled = await settleOrder(db, scope, port, order, market, price);
      report.fills_booked += settled.booked.length;
      if (settled.booked.some((b) => b.closed)) closed = true;
      if (settled.order.state === 'NEW' || settled.order.state === 'PARTIALLY_FILLED') stillOpen.push(settled.order);
    }
    if (closed) {
      report.action = 'closed_by_exchange';
      continue;
    }
    const stuck = stillOpen.find((order) => gapped(order, price));
    if (stuck) {
      await tradingTx(db, scope, (tx) =>
        recordAudit(tx, {
          mode: scope.mode,
          actor: 'SYSTEM',
          action_type: 'LIVE_STOP_GAPPED',
          status: 'WARNING',
          details: {
            symbol: position.symbol,
            client_order_id: stuck.client_order_id,
            stop_price: stuck.stop_price,
            limit_price: stuck.price,
            last_price: price,
            fallback: 'cancel the stop, sell what is left at market',
            run_id: o.run_id,
          },
          entity_type: 'position',
          entity_id: String(position.position_id),
        }),
      );
      const closedNow = await closeLivePosition(db, scope, port, position.position_id, {
        reason: `the stop ${stuck.stop_price} gapped past its limit ${stuck.price} (last price ${price})`,
        ts: o.now,
        run_id: o.run_id,
      });
      report.fills_booked += closedNow.booked.length;
      report.action = closedNow.problem ? 'problem' : 'gapped_stop_closed';
      report.detail = closedNow.problem;
      continue;
    }
    const plan = await followExitPlanLive(db, scope, port, position.position_id, { ...o, market, price });
    report.fills_booked += plan.booked.length;
    if (plan.action !== 'none') report.action = plan.action;
    report.detail = plan.detail;
    if (plan.action !== 'none' && plan.action !== 'stop_moved') continue;
    stillOpen = await tradingTx(db, scope, (tx) => activeProtection(tx, scope, position.position_id));
    if (stillOpen.length === 0) {
      const protectedNow = await protectPosition(db, scope, port, position.position_id, o.run_id);
      if (protectedNow.problems.length > 0 || plan.action === 'none')
        report.action = protectedNow.problems.length > 0 ? 'problem' : 'protected';
      report.detail = protectedNow.problems.join(' ') || null;
    }
  }
  return out;
}
