import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import type { TakeProfitOrder } from '../broker.ts';
import { insertTradeRow, Position, type Trade, type TakeProfitRung, type TradeRow } from '../positions-repo.ts';
import type { TradingScope } from '../scope.ts';
import { loadState, type RiskProfileName } from '../state-repo.ts';
import { paperCosts, type PaperCosts, type PositionSide } from './fill-model.ts';

/**
 * The paper ledger's writes: positions rows, trades rows and the quote wallet. A fill
 * always moves the wallet by exactly the cash_delta its trades row records, which is
 * what keeps wallet == initial_balance + sum(cash_delta).
 */

/** What every paper operation needs from the state row, read once per transaction. */
export interface PaperContext {
  scope: TradingScope;
  currency: string;
  riskProfile: RiskProfileName;
  costs: PaperCosts;
}

/** Paper fills are simulated, so they may only ever land in the TEST tables. */
export async function paperContext(tx: Queryable, scope: TradingScope): Promise<PaperContext> {
  if (scope.mode !== 'TEST') {
    throw new TraderError(
      'CONFIG_INVALID',
      'The paper broker trades only in TEST mode; LIVE orders go to the exchange through the live broker.',
    );
  }
  const state = await loadState(tx, scope);
  return { scope, currency: state.quote_currency, riskProfile: state.risk_profile, costs: paperCosts(state) };
}

/** Locks the quote wallet row for this transaction, so checks made after this cannot race another fill. */
export async function lockWallet(tx: Queryable, ctx: PaperContext): Promise<void> {
  await tx.query(`select 1 from ${ctx.scope.table('wallets')} where asset = $1 for update`, [ctx.currency]);
}

/**
 * Moves the quote wallet by `delta` in numeric arithmetic, unless that would take it
 * below zero: then nothing changes and the result is null.
 */
export async function applyCash(tx: Queryable, ctx: PaperContext, delta: number): Promise<number | null> {
  const [row] = await queryRows(
    tx,
    z.object({ balance: z.coerce.number() }),
    `update ${ctx.scope.table('wallets')} set balance = balance + $1::numeric, updated_at = now()
     where asset = $2 and balance + $1::numeric >= 0 returning balance`,
    [delta, ctx.currency],
  );
  return row?.balance ?? null;
}

export interface NewPosition {
  exchange: string;
  symbol: string;
  timeframe: string;
  category: string;
  side: PositionSide;
  qty: number;
  entry_price: number;
  stop_price: number;
  take_profits: readonly TakeProfitOrder[];
  leverage: number;
  margin: number;
  risk_amount: number;
  risk_pct: number;
  fees_paid: number;
  opened_at: Date;
  strategy_id: string | null;
  strategy_version: number | null;
  source_module: string | null;
  run_id: string | null;
  proposal_id: number | null;
  breakeven_after_tp?: number | null;
  time_stop_bars?: number | null;
}

export async function insertPosition(tx: Queryable, scope: TradingScope, p: NewPosition): Promise<Position> {
  const rungs: TakeProfitRung[] = p.take_profits.map((tp) => ({
    price: tp.price,
    fraction: tp.fraction,
    filled_at: null,
  }));
  // Nothing processed yet: one ms before the decision time, so the candle opening AT it is the first one checked.
  const checkedThrough = new Date(p.opened_at.getTime() - 1);
  const [row] = await queryRows(
    tx,
    Position,
    `insert into ${scope.table('positions')} (exchange, symbol, timeframe, category, side, qty, open_qty, entry_price, stop_price,
       take_profits, leverage, margin, risk_amount, risk_pct, fees_paid, opened_at, checked_through, strategy_id, source_module, run_id, proposal_id,
       breakeven_after_tp, time_stop_bars, strategy_version)
     values ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9::text::jsonb, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
     returning *`,
    [
      p.exchange,
      p.symbol,
      p.timeframe,
      p.category,
      p.side,
      p.qty,
      p.entry_price,
      p.stop_price,
      JSON.stringify(rungs),
      p.leverage,
      p.margin,
      p.risk_amount,
      p.risk_pct,
      p.fees_paid,
      p.opened_at,
      checkedThrough,
      p.strategy_id,
      p.source_module,
      p.run_id,
      p.proposal_id,
      p.breakeven_after_tp ?? null,
      p.time_stop_bars ?? null,
      p.strategy_version,
    ],
  );
  return row!;
}

export type NewTrade = Omit<TradeRow, 'fee_asset' | 'exchange_trade_id'>;

export async function insertTrade(tx: Queryable, ctx: PaperContext, t: NewTrade): Promise<Trade> {
  // A paper trade has no exchange trade id, so nothing can conflict.
  return (await insertTradeRow(tx, ctx.scope, { ...t, fee_asset: ctx.currency, exchange_trade_id: null }))!;
}

/** What one exit did to its position; the totals are updated in numeric arithmetic in SQL. */
export interface PositionExit {
  qty: number;
  released: number;
  realized_pnl: number;
  fee: number;
  take_profits: readonly TakeProfitRung[];
  /** Set when the exit left nothing open. */
  closed_at: Date | null;
  close_reason: string | null;
}

export async function savePositionExit(
  tx: Queryable,
  scope: TradingScope,
  positionId: number,
  e: PositionExit,
): Promise<Position> {
  const [row] = await queryRows(
    tx,
    Position,
    `update ${scope.table('positions')}
     set open_qty = case when $7::timestamptz is null then open_qty - $2::numeric else 0 end,
         margin = case when $7::timestamptz is null then margin - $3::numeric else 0 end,
         realized_pnl = realized_pnl + $4::numeric, fees_paid = fees_paid + $5::numeric, take_profits = $6::text::jsonb,
         status = case when $7::timestamptz is null then 'open' else 'closed' end, closed_at = $7, close_reason = $8
     where position_id = $1 returning *`,
    [positionId, e.qty, e.released, e.realized_pnl, e.fee, JSON.stringify(e.take_profits), e.closed_at, e.close_reason],
  );
  return row!;
}

/** Sets the position's stop (the breakeven rule moved it). */
export async function saveStop(
  tx: Queryable,
  scope: TradingScope,
  positionId: number,
  stop: number,
): Promise<Position> {
  const [row] = await queryRows(
    tx,
    Position,
    `update ${scope.table('positions')} set stop_price = $2 where position_id = $1 returning *`,
    [positionId, stop],
  );
  return row!;
}

/** Records that the monitor processed every candle of this position up to the one opening at `candleOpen`. */
export async function setCheckedThrough(
  tx: Queryable,
  scope: TradingScope,
  positionId: number,
  candleOpen: Date,
): Promise<void> {
  await tx.query(`update ${scope.table('positions')} set checked_through = $2 where position_id = $1`, [
    positionId,
    candleOpen,
  ]);
}
