import { TraderError } from '../../core/errors.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { insertPosition, savePositionExit } from '../paper/paper-ledger.ts';
import { insertTradeRow, Position, type Trade } from '../positions-repo.ts';
import type { TradingScope } from '../scope.ts';
import { exactProduct, exactSum } from './decimal-steps.ts';
import { loadState } from '../state-repo.ts';
import { fillsOf, LiveOrder, type OrderFill } from './orders-repo.ts';

/**
 * Books exchange fills (trading_*.order_fills) into the ledger of the same scope:
 * positions, trades and wallets, in the caller's transaction. Spot only: an entry buys
 * the base asset, every exit (stop, take-profit, close) sells it.
 *
 * Contract of bookFill(tx, scope, order, fill, options):
 * - `order` is the fill's row in trading_*.orders. An entry's first fill opens the
 *   position from `order.plan` and links it (orders.position_id); later entry fills add to
 *   it. An exit needs `order.position_id`.
 * - Real price, fee and fee asset. Wallets move by what the exchange moved: a buy adds
 *   qty to the base wallet and takes qty x price from the quote wallet; a sell the reverse;
 *   the fee leaves the wallet of its own asset. A fee paid in the base asset therefore
 *   lowers the position's quantity too (bought 1, fee 0.001 -> 0.999 owned), so the
 *   database's base balance stays equal to the exchange's.
 * - Partial fills accumulate: the position's quantity is the sum of its entry fills (net
 *   of base fees) and its entry price their volume-weighted average.
 * - An exit reduces open_qty by what left the account (qty, plus a base-asset fee) with
 *   realized P&L (price - entry) x qty, before fees; the position closes when nothing
 *   tradable is left: open quantity at or below `options.dust_qty` (the market's smallest
 *   tradable quantity). That dust stays in the base wallet, tracked, not lost.
 * - Idempotent per exchange trade id (trades.exchange_trade_id is unique per exchange):
 *   booking a fill twice returns null and changes nothing.
 * - A wallet that would go negative means the database disagrees with the exchange: a
 *   TraderError HALTED, and the caller's transaction rolls back.
 * fees_paid (quote terms) counts fees in the quote or base asset; a fee in a third asset
 * (BNB) is on its trades row and in its wallet, not in fees_paid.
 */

export interface BookOptions {
  /** Open quantity at or below which an exit leaves the position closed (dust). */
  dust_qty?: number;
  /** The take-profit rung a take_profit order fills, if known. */
  rung?: number | null;
}

export interface BookedFill {
  position: Position;
  trade: Trade;
  /** True when this fill left the position closed. */
  closed: boolean;
}

const kindOf = { entry: 'entry', stop: 'stop_loss', take_profit: 'take_profit', close: 'close' } as const;

const auditAction: Record<Trade['kind'], string> = {
  entry: 'TRADE_EXECUTED',
  stop_loss: 'POSITION_STOPPED',
  take_profit: 'TAKE_PROFIT_FILLED',
  close: 'POSITION_CLOSED',
  emergency_close: 'POSITION_CLOSED',
};

/** The base and quote assets of a ccxt spot symbol (BTC/USDT). */
export function assetsOf(symbol: string): { base: string; quote: string } {
  const [base, quote] = symbol.split(':')[0]!.split('/');
  if (!base || !quote) throw new TraderError('BAD_INPUT', `${symbol} is not a spot symbol of the form BASE/QUOTE.`);
  return { base, quote };
}

/** Moves one wallet by `delta`; refuses (HALTED) when the database would hold less than nothing. */
async function moveWallet(tx: Queryable, scope: TradingScope, asset: string, delta: number): Promise<void> {
  if (delta === 0) return;
  const table = scope.table('wallets');
  const moved = await tx.query(
    `update ${table} set balance = balance + $2::numeric, updated_at = now()
     where asset = $1 and balance + $2::numeric >= 0 returning asset`,
    [asset, delta],
  );
  if (moved.length > 0) return;
  // A positive move fails only when the asset has no wallet yet (the first buy of a coin).
  if (delta > 0) {
    const created = await tx.query(
      `insert into ${table} (asset, balance) values ($1, $2) on conflict (asset) do nothing returning asset`,
      [asset, delta],
    );
    if (created.length > 0) return;
  }
  throw new TraderError(
    'HALTED',
    `The ${asset} wallet in ${scope.schema} holds less than the exchange just took (${-delta}); the database disagrees with the exchange: run \`trader reconcile\`.`,
  );
}

async function tradeBooked(tx: Queryable, scope: TradingScope, exchange: string, tradeId: string): Promise<boolean> {
  const rows = await tx.query(`select 1 from ${scope.table('trades')} where exchange = $1 and exchange_trade_id = $2`, [
    exchange,
    tradeId,
  ]);
  return rows.length > 0;
}

async function lockOrder(tx: Queryable, scope: TradingScope, clientOrderId: string): Promise<LiveOrder> {
  const [row] = await queryRows(
    tx,
    LiveOrder,
    `select * from ${scope.table('orders')} where client_order_id = $1 for update`,
    [clientOrderId],
  );
  if (!row) throw new TraderError('NOT_FOUND', `There is no order ${clientOrderId} in ${scope.schema}.`);
  return row;
}

async function lockPosition(tx: Queryable, scope: TradingScope, positionId: number): Promise<Position> {
  const [row] = await queryRows(
    tx,
    Position,
    `select * from ${scope.table('positions')} where position_id = $1 for update`,
    [positionId],
  );
  if (!row) throw new TraderError('NOT_FOUND', `There is no position ${positionId} in ${scope.schema}.`);
  return row;
}

/** The fee in quote terms, when it was paid in the quote or the base asset. */
function quoteFee(fill: OrderFill, assets: { base: string; quote: string }): number {
  if (fill.fee_asset === assets.quote) return fill.fee;
  if (fill.fee_asset === assets.base) return exactProduct(fill.fee, fill.price);
  return 0;
}

function tradeRow(order: LiveOrder, fill: OrderFill, positionId: number, cashDelta: number, realized: number) {
  return {
    position_id: positionId,
    ts: fill.ts,
    exchange: order.exchange,
    symbol: order.symbol,
    side: order.side,
    kind: kindOf[order.role],
    qty: fill.qty,
    price: fill.price,
    fee: fill.fee,
    fee_asset: fill.fee_asset,
    cash_delta: cashDelta,
    realized_pnl: realized,
    run_id: order.run_id,
    exchange_trade_id: fill.exchange_trade_id,
  };
}

/** The position an entry fill opens (its first fill) or adds to, and the fill's trade row. */
async function bookEntry(
  tx: Queryable,
  scope: TradingScope,
  order: LiveOrder,
  fill: OrderFill,
  o: { owned: number; fee: number; cash_delta: number },
): Promise<{ position: Position; trade: Trade }> {
  if (order.position_id === null) {
    const plan = order.plan;
    if (!plan)
      throw new TraderError(
        'INTERNAL',
        `Entry order ${order.client_order_id} has no position plan; it cannot open a position.`,
      );
    const position = await insertPosition(tx, scope, {
      exchange: order.exchange,
      symbol: order.symbol,
      timeframe: plan.intent.timeframe,
      category: plan.intent.category,
      side: 'long',
      qty: o.owned,
      entry_price: fill.price,
      stop_price: plan.intent.stop,
      take_profits: plan.intent.take_profits,
      leverage: 1,
      margin: exactProduct(fill.qty, fill.price),
      risk_amount: plan.intent.risk_amount,
      risk_pct: plan.intent.risk_pct,
      fees_paid: o.fee,
      opened_at: new Date(plan.as_of),
      strategy_id: plan.strategy_id,
      strategy_version: plan.strategy_version,
      source_module: plan.source_module,
      run_id: order.run_id,
      proposal_id: plan.proposal_id,
      breakeven_after_tp: plan.intent.breakeven_after_tp,
      time_stop_bars: plan.intent.time_stop_bars,
    });
    await tx.query(`update ${scope.table('orders')} set position_id = $2 where client_order_id = $1`, [
      order.client_order_id,
      position.position_id,
    ]);
    const trade = await insertTradeRow(tx, scope, tradeRow(order, fill, position.position_id, o.cash_delta, 0));
    return { position, trade: trade! };
  }
  await lockPosition(tx, scope, order.position_id);
  const trade = await insertTradeRow(tx, scope, tradeRow(order, fill, order.position_id, o.cash_delta, 0));
  // The entry price is the volume-weighted average of the entry fills, this one included.
  const [position] = await queryRows(
    tx,
    Position,
    `update ${scope.table('positions')} p
     set qty = qty + $2::numeric, open_qty = open_qty + $2::numeric, margin = margin + $3::numeric,
         fees_paid = fees_paid + $4::numeric,
         entry_price = (select sum(t.qty * t.price) / sum(t.qty) from ${scope.table('trades')} t
                        where t.position_id = p.position_id and t.kind = 'entry')
     where position_id = $1 returning *`,
    [order.position_id, o.owned, exactProduct(fill.qty, fill.price), o.fee],
  );
  return { position: position!, trade: trade! };
}

/** Reduces (or closes) the position by an exit fill, and writes the fill's trade row. */
async function bookExit(
  tx: Queryable,
  scope: TradingScope,
  order: LiveOrder,
  fill: OrderFill,
  o: { base_fee: number; fee: number; cash_delta: number; options: BookOptions },
): Promise<{ position: Position; trade: Trade; closed: boolean; realized: number }> {
  if (order.position_id === null)
    throw new TraderError('INTERNAL', `Exit order ${order.client_order_id} names no position to book its fill on.`);
  const pos = await lockPosition(tx, scope, order.position_id);
  const realized = (fill.price - pos.entry_price) * fill.qty;
  const trade = await insertTradeRow(tx, scope, tradeRow(order, fill, pos.position_id, o.cash_delta, realized));
  const gone = exactSum(fill.qty, o.base_fee);
  const closed = pos.status === 'open' && exactSum(pos.open_qty, -gone) <= (o.options.dust_qty ?? 0);
  const reduced = Math.min(pos.open_qty, gone);
  const rung = o.options.rung ?? null;
  const position = await savePositionExit(tx, scope, pos.position_id, {
    qty: reduced,
    released: pos.open_qty > 0 ? (pos.margin * reduced) / pos.open_qty : 0,
    realized_pnl: realized,
    fee: o.fee,
    take_profits: pos.take_profits.map((r, i) => (i === rung ? { ...r, filled_at: fill.ts.toISOString() } : r)),
    closed_at: closed ? fill.ts : pos.closed_at,
    close_reason: closed ? kindOf[order.role] : pos.close_reason,
  });
  return { position, trade: trade!, closed, realized };
}

/** Books one fill of `order` (see the file comment); null when it was booked before. */
export async function bookFill(
  tx: Queryable,
  scope: TradingScope,
  orderRow: LiveOrder,
  fill: OrderFill,
  options: BookOptions = {},
): Promise<BookedFill | null> {
  // The order's row lock serialises every booking of its fills (broker, recovery, reconciliation).
  const order = await lockOrder(tx, scope, orderRow.client_order_id);
  const entry = order.role === 'entry';
  if (order.side !== (entry ? 'buy' : 'sell'))
    throw new TraderError(
      'INTERNAL',
      `Order ${order.client_order_id} is a ${order.side} ${order.role}; on spot an entry buys and every exit sells.`,
    );
  if (await tradeBooked(tx, scope, order.exchange, fill.exchange_trade_id)) return null;
  const assets = assetsOf(order.symbol);
  // Exact decimals throughout: the wallets must equal the exchange's balances, not nearly.
  const baseFee = fill.fee_asset === assets.base ? fill.fee : 0;
  const notional = exactProduct(fill.qty, fill.price);
  const quoteOnlyFee = fill.fee_asset === assets.quote ? fill.fee : 0;
  const cashDelta = exactSum(entry ? -notional : notional, -quoteOnlyFee);
  const fee = quoteFee(fill, assets);
  const booked = entry
    ? {
        ...(await bookEntry(tx, scope, order, fill, {
          owned: exactSum(fill.qty, -baseFee),
          fee,
          cash_delta: cashDelta,
        })),
        closed: false,
        realized: 0,
      }
    : await bookExit(tx, scope, order, fill, { base_fee: baseFee, fee, cash_delta: cashDelta, options });
  await moveWallet(tx, scope, assets.base, exactSum(entry ? fill.qty : -fill.qty, -baseFee));
  await moveWallet(tx, scope, assets.quote, entry ? -notional : notional);
  if (fill.fee_asset !== assets.base) await moveWallet(tx, scope, fill.fee_asset, -fill.fee);
  const { risk_profile } = await loadState(tx, scope);
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: auditAction[kindOf[order.role]],
    status: 'SUCCESS',
    risk_profile,
    details: {
      position_id: booked.position.position_id,
      trade_id: booked.trade.trade_id,
      client_order_id: order.client_order_id,
      exchange: order.exchange,
      exchange_trade_id: fill.exchange_trade_id,
      symbol: order.symbol,
      side: order.side,
      qty: fill.qty,
      price: fill.price,
      fee: fill.fee,
      fee_asset: fill.fee_asset,
      cash_delta: cashDelta,
      realized_pnl: booked.realized,
      open_qty_after: booked.position.open_qty,
      closed: booked.closed,
    },
    entity_type: 'position',
    entity_id: String(booked.position.position_id),
  });
  return { position: booked.position, trade: booked.trade, closed: booked.closed };
}

/**
 * Books every recorded fill of an order that is not booked yet, oldest first; returns
 * what was booked. The order row is re-read before each fill (the first entry fill links
 * the position).
 */
export async function bookOrderFills(
  tx: Queryable,
  scope: TradingScope,
  clientOrderId: string,
  options: BookOptions = {},
): Promise<BookedFill[]> {
  const out: BookedFill[] = [];
  for (const fill of await fillsOf(tx, scope, clientOrderId)) {
    const order = await lockOrder(tx, scope, clientOrderId);
    const booked = await bookFill(tx, scope, order, fill, options);
    if (booked) out.push(booked);
  }
  return out;
}
