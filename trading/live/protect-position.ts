import { z } from 'zod';
import { queryRows, type Db, type Queryable } from '../../store/db.ts';
import { getPosition, type Position } from '../positions-repo.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { clientOrderId } from './client-order-id.ts';
import { type ExchangePort, isExchangeFault } from './exchange-port.ts';
import { auditOrder } from './order-audit.ts';
import { countAttempt, insertPendingOrder, LiveOrder, setOrderState } from './orders-repo.ts';
import { protectionLegs, type ProtectionLeg } from './protection-plan.ts';
import { adoptAnswer, sendRecorded } from './submit-order.ts';

/**
 * Places a filled position's protection on the exchange (the plan is protection-plan.ts):
 * every leg is recorded PENDING_SUBMIT (roles stop and take_profit, linked to the position)
 * in a transaction that commits before any request leaves, then sent: an OCO list per
 * take-profit rung, a stop-loss-limit alone for the rest. An OCO the exchange refuses (a
 * target the price already passed) falls back to a stop-loss-limit alone for its quantity.
 * A position that already has live protection gets nothing new.
 */

export interface ProtectionReport {
  position_id: number;
  /** The protective orders now resting on the exchange (or still being looked up). */
  orders: LiveOrder[];
  /** Quantity too small to protect (below the market's minimums). */
  dust: number;
  /** One sentence per leg that could not be placed. */
  problems: string[];
}

const live = ['PENDING_SUBMIT', 'NEW', 'PARTIALLY_FILLED'];

/** The position's stop and take-profit orders whose outcome is not final. */
export function activeProtection(q: Queryable, scope: TradingScope, positionId: number): Promise<LiveOrder[]> {
  return queryRows(
    q,
    LiveOrder,
    `select * from ${scope.table('orders')} where position_id = $1 and role in ('stop', 'take_profit')
       and state = any($2::text[]) order by created_at, client_order_id`,
    [positionId, live],
  );
}

/** Client ids of one protection round: distinct per position and round, stable within it. */
function legIds(position: Position, round: number, n: number) {
  const id = (leg: string) =>
    clientOrderId({ pipeline: `position-${position.position_id}`, symbol: position.symbol, tick: round, leg });
  return { stop: id(`sl${n}`), take_profit: id(`tp${n}`), list: id(`oco${n}`), alone: id(`sa${n}`) };
}

async function recordLeg(
  tx: Queryable,
  scope: TradingScope,
  exchange: string,
  position: Position,
  o: { id: string; role: 'stop' | 'take_profit'; leg: ProtectionLeg; run_id: string | null },
): Promise<LiveOrder> {
  const stop = o.role === 'stop';
  const { order } = await insertPendingOrder(tx, scope, {
    client_order_id: o.id,
    exchange,
    symbol: position.symbol,
    side: 'sell',
    type: stop ? 'stop_loss_limit' : 'limit',
    role: o.role,
    qty: o.leg.qty,
    price: stop ? o.leg.stop_limit : o.leg.take_profit,
    stop_price: stop ? o.leg.stop_price : null,
    position_id: position.position_id,
    run_id: o.run_id,
  });
  return order;
}

async function refuseAll(db: Db, scope: TradingScope, orders: LiveOrder[], reason: string): Promise<void> {
  await tradingTx(db, scope, async (tx) => {
    for (const o of orders)
      await auditOrder(
        tx,
        scope,
        'ORDER_REJECTED',
        await setOrderState(tx, scope, o.client_order_id, 'REJECTED', reason),
      );
  });
}

/**
 * Sends a recorded OCO pair once; an unknown outcome is looked up by the stop leg's client
 * id (both legs exist or neither), never guessed. Returns null when placed (or found),
 * otherwise why not: 'refused' with the exchange's sentence, or 'unknown'.
 */
async function sendOco(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  legs: { stop: LiveOrder; take_profit: LiveOrder; list: string },
): Promise<{ refused: string } | { unknown: string } | null> {
  const { stop, take_profit } = legs;
  await tradingTx(db, scope, async (tx) => {
    await countAttempt(tx, scope, stop.client_order_id);
    await countAttempt(tx, scope, take_profit.client_order_id);
  });
  try {
    const placed = await port.submitOco({
      list_client_order_id: legs.list,
      symbol: stop.symbol,
      side: 'sell',
      qty: stop.qty,
      take_profit: { client_order_id: take_profit.client_order_id, price: take_profit.price! },
      stop: { client_order_id: stop.client_order_id, stop_price: stop.stop_price!, price: stop.price! },
    });
    await adoptAnswer(
      db,
      scope,
      port,
      take_profit,
      placed.take_profit.order,
      placed.take_profit.fills,
      'ORDER_SUBMITTED',
    );
    await adoptAnswer(db, scope, port, stop, placed.stop.order, placed.stop.fills, 'ORDER_SUBMITTED');
    return null;
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    if (e.kind !== 'unknown_outcome') {
      await refuseAll(db, scope, [stop, take_profit], e.message);
      return { refused: e.message };
    }
  }
  // The request may have been taken: ask about each leg before anything else.
  for (const leg of [take_profit, stop]) {
    try {
      const found = await port.orderByClientId(leg.symbol, leg.client_order_id);
      if (!found) return { unknown: `the OCO list ${legs.list} was not found after an unanswered request` };
      await adoptAnswer(db, scope, port, leg, found, [], 'ORDER_RECOVERED');
    } catch (e) {
      if (!isExchangeFault(e)) throw e;
      return { unknown: e.message };
    }
  }
  return null;
}

export async function protectPosition(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  positionId: number,
  run_id: string | null = null,
): Promise<ProtectionReport> {
  const report: ProtectionReport = { position_id: positionId, orders: [], dust: 0, problems: [] };
  const { position, active, round } = await tradingTx(db, scope, async (tx) => ({
    position: await getPosition(tx, scope, positionId),
    active: await activeProtection(tx, scope, positionId),
    round: (
      await queryRows(
        tx,
        z.object({ n: z.coerce.number() }),
        `select count(*) as n from ${scope.table('orders')} where position_id = $1 and role = 'stop'`,
        [positionId],
      )
    )[0]!.n,
  }));
  if (!position || position.status !== 'open' || active.length > 0) return { ...report, orders: active };
  const market = await port.market(position.symbol);
  const { legs, dust } = protectionLegs({
    open_qty: position.open_qty,
    qty: position.qty,
    stop_price: position.stop_price,
    take_profits: position.take_profits,
    filters: market,
    oco: port.supportsOco,
  });
  report.dust = dust;
  // Record every leg first: a crash from here on leaves them for recoverOrders() to send.
  const recorded = await tradingTx(db, scope, async (tx) => {
    const out = [];
    for (const [n, leg] of legs.entries()) {
      const ids = legIds(position, round, n + 1);
      const stop = await recordLeg(tx, scope, port.exchange, position, { id: ids.stop, role: 'stop', leg, run_id });
      const take_profit =
        leg.take_profit === null
          ? null
          : await recordLeg(tx, scope, port.exchange, position, {
              id: ids.take_profit,
              role: 'take_profit',
              leg,
              run_id,
            });
      out.push({ leg, ids, stop, take_profit });
    }
    return out;
  });
  for (const r of recorded) {
    let stopAlone = r.stop;
    if (r.take_profit) {
      const outcome = await sendOco(db, scope, port, { stop: r.stop, take_profit: r.take_profit, list: r.ids.list });
      if (outcome === null) continue;
      if ('unknown' in outcome) {
        report.problems.push(`The OCO list ${r.ids.list} is not confirmed yet (${outcome.unknown}).`);
        continue;
      }
      // Refused (a target already passed, or no OCO for this market): the stop alone.
      report.problems.push(
        `The OCO list for ${r.leg.qty} ${position.symbol} was refused (${outcome.refused}); a stop alone protects it.`,
      );
      stopAlone = await tradingTx(db, scope, (tx) =>
        recordLeg(tx, scope, port.exchange, position, { id: r.ids.alone, role: 'stop', leg: r.leg, run_id }),
      );
    }
    const sent = await sendRecorded(db, scope, port, stopAlone, { lookupFirst: stopAlone.attempts > 0 });
    if (sent.reason) report.problems.push(sent.reason);
  }
  report.orders = await tradingTx(db, scope, (tx) => activeProtection(tx, scope, positionId));
  return report;
}
