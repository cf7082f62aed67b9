import { TraderError } from '../../core/errors.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { OpenOrder, type Broker, type CloseRequest, type FillEvent, type OpenResult } from '../broker.ts';
import { positionPrice } from '../portfolio.ts';
import { hasOpenPosition, listOpenPositions, lockOpenPosition } from '../positions-repo.ts';
import type { TradingScope } from '../scope.ts';
import { applyExit } from './apply-exit.ts';
import { entryFill, exitOrderSide, positionSide, slippedPrice } from './fill-model.ts';
import { applyCash, insertPosition, insertTrade, lockWallet, paperContext } from './paper-ledger.ts';
import { schemaProblems } from '../../core/schema-problems.ts';

/**
 * The TEST broker: fills immediately at the reference price plus slippage and pays the
 * paper fee (the model is in fill-model.ts). Stops and take-profits are then filled by
 * monitorPositions against the candles that follow.
 */

/** A malformed order is a bug upstream (the risk gate builds orders), not a market answer. */
function validOrder(input: OpenOrder): OpenOrder {
  const parsed = OpenOrder.safeParse(input);
  if (!parsed.success)
    throw new TraderError(
      'BAD_INPUT',
      `${schemaProblems('The order is malformed', parsed.error)}; fix the intent that produced it.`,
    );
  const o = parsed.data;
  parseTimeframe(o.timeframe);
  const dir = o.side === 'buy' ? 1 : -1;
  if ((o.entry - o.stop) * dir <= 0)
    throw new TraderError(
      'BAD_INPUT',
      `The stop ${o.stop} is on the wrong side of the entry ${o.entry} for a ${o.side}; a long's stop is below its entry, a short's above.`,
    );
  let previous = o.entry;
  for (const tp of o.take_profits) {
    if ((tp.price - previous) * dir <= 0)
      throw new TraderError(
        'BAD_INPUT',
        `Take-profit ${tp.price} is out of ladder order; list them beyond the entry, nearest first.`,
      );
    previous = tp.price;
  }
  const total = o.take_profits.reduce((s, tp) => s + tp.fraction, 0);
  if (total > 1 + 1e-9)
    throw new TraderError(
      'BAD_INPUT',
      `The take-profit fractions add up to ${total}; they may close at most the whole position (1).`,
    );
  return o;
}

async function openPosition(tx: Queryable, scope: TradingScope, input: OpenOrder): Promise<OpenResult> {
  const order = validOrder(input);
  const ctx = await paperContext(tx, scope);
  await lockWallet(tx, ctx);
  if (await hasOpenPosition(tx, scope, order.exchange, order.symbol)) {
    return {
      ok: false,
      reason: 'position_already_open',
      message: `A ${order.symbol} position is already open on ${order.exchange}; one position per market.`,
    };
  }
  const fill = entryFill(order.side, order.qty, order.entry, order.leverage, ctx.costs);
  // The conditional debit is the affordability check: it changes nothing when the wallet cannot pay.
  if ((await applyCash(tx, ctx, fill.cash_delta)) === null) {
    return {
      ok: false,
      reason: 'insufficient_funds',
      message: `The ${ctx.currency} wallet cannot pay ${-fill.cash_delta} (margin ${fill.margin} plus fee ${fill.fee}).`,
    };
  }
  const side = positionSide(order.side);
  const position = await insertPosition(tx, scope, {
    exchange: order.exchange,
    symbol: order.symbol,
    timeframe: order.timeframe,
    category: order.category,
    side,
    qty: order.qty,
    entry_price: fill.price,
    stop_price: order.stop,
    take_profits: order.take_profits,
    leverage: order.leverage,
    margin: fill.margin,
    risk_amount: order.risk_amount,
    risk_pct: order.risk_pct,
    fees_paid: fill.fee,
    opened_at: order.as_of,
    strategy_id: order.strategy_id,
    strategy_version: order.strategy_version,
    source_module: order.source_module,
    run_id: order.run_id,
    proposal_id: order.proposal_id,
    breakeven_after_tp: order.breakeven_after_tp,
    time_stop_bars: order.time_stop_bars,
  });
  const trade = await insertTrade(tx, ctx, {
    position_id: position.position_id,
    ts: order.as_of,
    exchange: order.exchange,
    symbol: order.symbol,
    side: order.side,
    kind: 'entry',
    qty: order.qty,
    price: fill.price,
    fee: fill.fee,
    cash_delta: fill.cash_delta,
    realized_pnl: 0,
    run_id: order.run_id,
  });
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: 'TRADE_EXECUTED',
    status: 'SUCCESS',
    risk_profile: ctx.riskProfile,
    details: {
      position_id: position.position_id,
      trade_id: trade.trade_id,
      exchange: order.exchange,
      symbol: order.symbol,
      side: order.side,
      qty: order.qty,
      reference_price: order.entry,
      fill_price: fill.price,
      fee: fill.fee,
      leverage: order.leverage,
      margin: fill.margin,
      stop: order.stop,
      take_profits: order.take_profits,
      currency: ctx.currency,
      run_id: order.run_id,
      proposal_id: order.proposal_id,
    },
    entity_type: 'position',
    entity_id: String(position.position_id),
  });
  return {
    ok: true,
    position_id: position.position_id,
    trade_id: trade.trade_id,
    fill_price: fill.price,
    fee: fill.fee,
    margin: fill.margin,
    cash_delta: fill.cash_delta,
  };
}

async function closePosition(
  tx: Queryable,
  scope: TradingScope,
  positionId: number,
  request: CloseRequest,
): Promise<FillEvent> {
  if (!Number.isFinite(request.price) || request.price <= 0)
    throw new TraderError('BAD_INPUT', `A close needs a positive reference price, not ${request.price}.`);
  const ctx = await paperContext(tx, scope);
  await lockWallet(tx, ctx);
  const pos = await lockOpenPosition(tx, scope, positionId);
  const price = slippedPrice(exitOrderSide(pos.side), request.price, ctx.costs.slippage);
  const { fill } = await applyExit(tx, ctx, pos, {
    kind: request.kind,
    qty: pos.open_qty,
    price,
    rung: null,
    ts: request.ts,
    run_id: request.run_id,
  });
  return fill;
}

export function paperBroker(scope: TradingScope): Broker {
  return {
    open: (tx, order) => openPosition(tx, scope, order),
    close: (tx, positionId, request) => closePosition(tx, scope, positionId, request),
  };
}

/**
 * Market-closes every open position at the close of its newest candle closed by `asOf`
 * (kind 'emergency_close'). Run monitorPositions first, so stops and take-profits that
 * were hit before `asOf` fill at their own levels. A position with no candle closed
 * since its entry has no price to close at and is reported as skipped.
 */
export async function closeAllPositions(
  tx: Queryable,
  scope: TradingScope,
  asOf: Date,
  run_id: string | null = null,
): Promise<{ closed: number; skipped: { position_id: number; symbol: string }[] }> {
  const ctx = await paperContext(tx, scope);
  await lockWallet(tx, ctx);
  let closed = 0;
  const skipped: { position_id: number; symbol: string }[] = [];
  for (const pos of await listOpenPositions(tx, scope, { forUpdate: true })) {
    const last = await positionPrice(tx, pos, asOf);
    if (!last) {
      skipped.push({ position_id: pos.position_id, symbol: pos.symbol });
      continue;
    }
    const price = slippedPrice(exitOrderSide(pos.side), last.price, ctx.costs.slippage);
    await applyExit(tx, ctx, pos, { kind: 'emergency_close', qty: pos.open_qty, price, rung: null, ts: asOf, run_id });
    closed++;
  }
  return { closed, skipped };
}
