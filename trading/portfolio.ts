import { loadCandleSeries, type CandleKey } from '../market/candles-repo.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import { z } from 'zod';
import { queryRows, type Queryable } from '../store/db.ts';
import { direction } from './paper/fill-model.ts';
import { listOpenPositions, quoteBalance, type Position } from './positions-repo.ts';
import type { TradingScope } from './scope.ts';
import { loadState, updateState, type TradingState } from './state-repo.ts';

/**
 * The portfolio valued at a point in time. Equity = free quote cash + what each open
 * position is worth: its locked margin plus its unrealised P&L at the newest candle
 * closed by `asOf`, floored at zero (isolated margin: a position cannot cost more than
 * its margin, see trading/paper/fill-model.ts).
 */

export interface PositionMark {
  position_id: number;
  exchange: string;
  symbol: string;
  timeframe: string;
  category: string;
  side: Position['side'];
  open_qty: number;
  entry_price: number;
  stop_price: number;
  leverage: number;
  margin: number;
  /** Close of the newest candle closed by as_of and not before the entry; null when there is none (then valued at entry). */
  last_price: number | null;
  /** Close time of that candle. */
  price_as_of: Date | null;
  unrealized_pnl: number;
  /** margin + unrealized P&L, at least 0. */
  value: number;
  /** Planned risk at entry, quote currency. */
  risk_amount: number;
  /** What hitting the stop now would lose on the open quantity (before slippage and fees), at most the margin. */
  open_risk: number;
}

export interface PortfolioSnapshot {
  as_of: Date;
  currency: string;
  free_balance: number;
  equity: number;
  positions: PositionMark[];
  /** Sum of open_risk per instrument category, quote currency. */
  open_risk_by_category: Record<string, number>;
}

/** Close of the newest sound candle of a market closed by `asOf`, with that candle's close time. */
export async function lastClosedPrice(
  q: Queryable,
  key: CandleKey,
  asOf: Date,
): Promise<{ price: number; ts: Date } | null> {
  const series = await loadCandleSeries(q, { ...key, asOf, limit: 1, soundOnly: true });
  if (series.ts.length === 0) return null;
  return { price: series.close[0]!, ts: new Date(series.ts[0]! + parseTimeframe(key.timeframe)) };
}

/**
 * The price a position is marked or closed at `asOf`: the newest close, but only one
 * observed at or after its entry. A run as of an earlier time (`--as-of` in the past)
 * would otherwise mark it at a price from before it existed, a false profit or loss.
 */
export async function positionPrice(
  q: Queryable,
  pos: Pick<Position, 'exchange' | 'symbol' | 'timeframe' | 'opened_at'>,
  asOf: Date,
): Promise<{ price: number; ts: Date } | null> {
  const last = await lastClosedPrice(q, pos, asOf);
  return last && last.ts >= pos.opened_at ? last : null;
}

async function markPosition(q: Queryable, pos: Position, asOf: Date): Promise<PositionMark> {
  const last = await positionPrice(q, pos, asOf);
  const dir = direction(pos.side);
  const unrealized = last ? (last.price - pos.entry_price) * pos.open_qty * dir : 0;
  const stopLoss = (pos.entry_price - pos.stop_price) * dir * pos.open_qty;
  return {
    position_id: pos.position_id,
    exchange: pos.exchange,
    symbol: pos.symbol,
    timeframe: pos.timeframe,
    category: pos.category,
    side: pos.side,
    open_qty: pos.open_qty,
    entry_price: pos.entry_price,
    stop_price: pos.stop_price,
    leverage: pos.leverage,
    margin: pos.margin,
    last_price: last?.price ?? null,
    price_as_of: last?.ts ?? null,
    unrealized_pnl: unrealized,
    value: Math.max(0, pos.margin + unrealized),
    risk_amount: pos.risk_amount,
    open_risk: Math.min(pos.margin, Math.max(0, stopLoss)),
  };
}

export async function portfolioSnapshot(tx: Queryable, scope: TradingScope, asOf: Date): Promise<PortfolioSnapshot> {
  const { currency, balance } = await quoteBalance(tx, scope);
  const positions: PositionMark[] = [];
  for (const pos of await listOpenPositions(tx, scope)) positions.push(await markPosition(tx, pos, asOf));
  const open_risk_by_category: Record<string, number> = {};
  for (const p of positions) open_risk_by_category[p.category] = (open_risk_by_category[p.category] ?? 0) + p.open_risk;
  const equity = balance + positions.reduce((s, p) => s + p.value, 0);
  return { as_of: asOf, currency, free_balance: balance, equity, positions, open_risk_by_category };
}

/** Percent below the peak, 0 to 100; 0 while no peak is known (a LIVE account never reconciled with equity). */
export function drawdownPct(peak: number, equity: number): number {
  return peak > 0 ? Math.min(100, Math.max(0, ((peak - equity) / peak) * 100)) : 0;
}

/**
 * Values the portfolio at `asOf` and records equity, peak equity and drawdown in the
 * state row. They only move forward in time: a mark older than the recorded one (a run
 * `--as-of` the past) leaves them as they are.
 */
export async function markToMarket(
  tx: Queryable,
  scope: TradingScope,
  asOf: Date,
): Promise<{ snapshot: PortfolioSnapshot; state: TradingState }> {
  const before = await loadState(tx, scope, { forUpdate: true });
  const snapshot = await portfolioSnapshot(tx, scope, asOf);
  if (before.equity_as_of !== null && asOf < before.equity_as_of) return { snapshot, state: before };
  const peak = Math.max(before.peak_equity, snapshot.equity);
  const drawdown = drawdownPct(peak, snapshot.equity);
  const state = await updateState(tx, scope, {
    equity: snapshot.equity,
    peak_equity: peak,
    drawdown_pct: drawdown,
    equity_as_of: asOf,
  });
  return { snapshot, state };
}

export const EquityPoint = z.object({
  recorded_at: z.date(),
  equity: z.coerce.number(),
  peak_equity: z.coerce.number(),
});
export type EquityPoint = z.infer<typeof EquityPoint>;

/** The newest `limit` recorded values of the account (equity_history), oldest first. */
export function equityHistory(q: Queryable, scope: TradingScope, limit: number): Promise<EquityPoint[]> {
  return queryRows(
    q,
    EquityPoint,
    `select recorded_at, equity, peak_equity from (select id, recorded_at, equity, peak_equity
       from ${scope.table('equity_history')} order by recorded_at desc, id desc limit $1) newest order by recorded_at, id`,
    [limit],
  );
}
