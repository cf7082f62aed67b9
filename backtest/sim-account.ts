import type { z } from 'zod';
import { Positions, type ClosedPositionView } from '../sdk/context-schemas.ts';
import { deepFreeze } from '../engine/run/freeze.ts';
import { flooredToFit } from '../sdk/sizing.ts';
import {
  direction,
  entryFill,
  exitFill,
  positionSide,
  type EntryFill,
  type PaperCosts,
  type PositionSide,
} from '../trading/paper/fill-model.ts';
import type { LadderRung } from '../trading/paper/candle-exits.ts';
import { breakevenStop, type ExitRules } from '../trading/exit-rules.ts';
import type { BacktestTrade } from './backtest-types.ts';

/**
 * The backtest's account: the paper broker's accounting (trading/paper/fill-model.ts,
 * the same formulas) kept in memory instead of in the trading tables, so a replay of
 * 70,000 bars does not write 70,000 transactions. Linear, quote-margined, isolated margin.
 */

/** An order the risk gate passed at a bar close, waiting for the next bar's open. */
export interface PendingEntry extends ExitRules {
  symbol: string;
  category: string;
  side: 'buy' | 'sell';
  qty: number;
  /** The decision close the intent was sized at; the fill is at the next open. */
  entry: number;
  stop: number;
  take_profits: { price: number; fraction: number }[];
  leverage: number;
  risk_amount: number;
  decided_at: number;
  source_module: string | null;
  contributors: BacktestTrade['contributors'];
}

export interface SimPosition {
  id: number;
  order: PendingEntry;
  side: PositionSide;
  entry_price: number;
  opened_ts: number;
  entry_bar: number;
  /** The stop now: the order's, until the exit plan's breakeven rule moves it (moveStopToBreakeven). */
  stop: number;
  open_qty: number;
  margin: number;
  fees: number;
  /** Realised P&L before fees, summed over exits. */
  realized: number;
  exit_qty_price: number;
  take_profits: LadderRung[];
}

export type ExitKind = BacktestTrade['exit_reason'];
/** An entry the wallet pays: the order as filled and its fill. */
type Paid = { order: PendingEntry; fill: EntryFill };
type PositionsView = z.infer<typeof Positions>;

export class SimAccount {
  cash: number;
  readonly open: SimPosition[] = [];
  readonly trades: BacktestTrade[] = [];
  /** Net realised P&L per symbol (fees included), for the per-symbol curves. */
  readonly realizedBySymbol = new Map<string, number>();
  private nextId = 1;
  /** Bumped on every fill: the positions view is rebuilt (and re-validated) only when it changes. */
  private version = 0;
  private readonly views = new Map<string, { version: number; view: PositionsView }>();

  constructor(
    readonly initial: number,
    readonly costs: PaperCosts,
  ) {
    this.cash = initial;
  }

  private book(symbol: string, amount: number): void {
    this.realizedBySymbol.set(symbol, (this.realizedBySymbol.get(symbol) ?? 0) + amount);
  }

  /**
   * Fills a pending entry at `reference` (the bar's open). The order was sized to the free cash at
   * the decision close; when the open has moved against it since, the wallet may not pay the
   * whole quantity: then the largest quantity it pays (floored to the market's amount `step`,
   * 0 = unknown) fills, as an order for the cash at hand would. Refused only when nothing fits.
   */
  openAt(
    pending: PendingEntry,
    reference: number,
    ts: number,
    bar: number,
    step = 0,
  ): SimPosition | { refused: string } {
    const full = entryFill(pending.side, pending.qty, reference, pending.leverage, this.costs);
    const paid =
      this.cash + full.cash_delta >= 0
        ? { order: pending, fill: full }
        : this.cutToWallet(pending, reference, step, full);
    if (paid === null)
      return {
        refused: `the wallet (${this.cash.toFixed(2)}) cannot pay margin ${full.margin.toFixed(2)} plus fee ${full.fee.toFixed(2)}`,
      };
    const { order, fill } = paid;
    this.cash += fill.cash_delta;
    this.book(order.symbol, -fill.fee);
    const pos: SimPosition = {
      id: this.nextId++,
      order,
      side: positionSide(order.side),
      entry_price: fill.price,
      opened_ts: ts,
      entry_bar: bar,
      stop: order.stop,
      open_qty: order.qty,
      margin: fill.margin,
      fees: fill.fee,
      realized: 0,
      exit_qty_price: 0,
      take_profits: order.take_profits.map((t) => ({ ...t, filled_at: null })),
    };
    this.open.push(pos);
    this.version++;
    return pos;
  }

  /** The largest quantity of `order` whose margin and fee the wallet pays at `reference`, or null when none does. */
  private cutToWallet(order: PendingEntry, reference: number, step: number, full: EntryFill): Paid | null {
    const fillOf = (qty: number) => entryFill(order.side, qty, reference, order.leverage, this.costs);
    const qty = flooredToFit(
      (order.qty * this.cash) / -full.cash_delta,
      step,
      (q) => this.cash + fillOf(q).cash_delta >= 0,
    );
    if (qty === 0) return null;
    return { order: { ...order, qty, risk_amount: (order.risk_amount * qty) / order.qty }, fill: fillOf(qty) };
  }

  /** The paper monitor's breakeven move (paper/follow-exit-plan.ts), before a bar: the stop to the entry once enough rungs filled. */
  moveStopToBreakeven(pos: SimPosition): void {
    const stop = breakevenStop(SimAccount.ruled(pos));
    if (stop === null) return;
    pos.stop = stop;
    // Modules see the moved stop in their positions view, as a live run's account view shows it.
    this.version++;
  }

  /** A position as the exit rules and the bar's exits read it (trading/exit-rules.ts, paper/candle-exits.ts). */
  static ruled(pos: SimPosition) {
    return {
      side: pos.side,
      qty: pos.order.qty,
      open_qty: pos.open_qty,
      entry_price: pos.entry_price,
      stop_price: pos.stop,
      take_profits: pos.take_profits,
      breakeven_after_tp: pos.order.breakeven_after_tp,
      time_stop_bars: pos.order.time_stop_bars,
    };
  }

  /** Exits `qty` of a position at an already slipped price; records the round trip when it closes. */
  exit(
    pos: SimPosition,
    kind: ExitKind,
    qty: number,
    price: number,
    ts: number,
    bar: number,
    rung: number | null = null,
  ): void {
    const fill = exitFill(pos, qty, price, this.costs);
    this.cash += fill.cash_delta;
    pos.margin -= fill.released;
    pos.open_qty = fill.closes ? 0 : pos.open_qty - fill.qty;
    pos.realized += fill.realized_pnl;
    pos.fees += fill.fee;
    pos.exit_qty_price += fill.qty * price;
    this.version++;
    this.book(pos.order.symbol, fill.realized_pnl - fill.fee);
    if (rung !== null) pos.take_profits[rung] = { ...pos.take_profits[rung]!, filled_at: new Date(ts).toISOString() };
    if (fill.closes) this.close(pos, kind, ts, bar);
  }

  private close(pos: SimPosition, kind: ExitKind, ts: number, bar: number): void {
    this.open.splice(this.open.indexOf(pos), 1);
    const o = pos.order;
    const dir = direction(pos.side);
    const risk = o.qty * Math.abs(pos.entry_price - o.stop);
    const last = o.take_profits.at(-1);
    const pnl = pos.realized - pos.fees;
    this.trades.push({
      trade_no: pos.id,
      symbol: o.symbol,
      side: pos.side,
      qty: o.qty,
      decided_at: o.decided_at,
      entry_ts: pos.opened_ts,
      entry_price: pos.entry_price,
      stop: o.stop,
      targets: o.take_profits.map((t) => t.price),
      initial_risk: risk,
      planned_rr: last && risk > 0 ? ((last.price - pos.entry_price) * dir) / Math.abs(pos.entry_price - o.stop) : null,
      exit_ts: ts,
      exit_price: pos.exit_qty_price / o.qty,
      exit_reason: kind,
      fees: pos.fees,
      pnl,
      r_multiple: risk > 0 ? pnl / risk : null,
      bars_held: bar - pos.entry_bar,
      source_module: o.source_module,
      contributors: o.contributors,
    });
  }

  /** Unrealised P&L of a position at `price`, floored at its margin (isolated margin). */
  static unrealized(pos: SimPosition, price: number): number {
    return Math.max(-pos.margin, (price - pos.entry_price) * pos.open_qty * direction(pos.side));
  }

  /** Free cash plus each open position's margin and unrealised P&L at its symbol's last close. */
  equity(lastClose: ReadonlyMap<string, number>): number {
    let e = this.cash;
    for (const p of this.open) e += p.margin + SimAccount.unrealized(p, lastClose.get(p.order.symbol) ?? p.entry_price);
    return e;
  }

  /** What modules see under `positions`, as a live run's account view shows it; the same frozen object until a fill changes it. */
  positionsView(symbol: string): PositionsView {
    const cached = this.views.get(symbol);
    if (cached?.version === this.version) return cached.view;
    const view = deepFreeze(Positions.parse(this.buildView(symbol)));
    this.views.set(symbol, { version: this.version, view });
    return view;
  }

  private buildView(symbol: string): PositionsView {
    const iso = (ms: number) => new Date(ms).toISOString();
    const recent: z.infer<typeof ClosedPositionView>[] = [];
    for (let i = this.trades.length - 1; i >= 0 && recent.length < 20; i--) {
      const t = this.trades[i]!;
      if (t.symbol !== symbol) continue;
      recent.push({
        position_id: t.trade_no,
        symbol,
        side: t.side,
        entry: t.entry_price,
        opened_at: iso(t.entry_ts),
        closed_at: iso(t.exit_ts),
        realized_pnl: t.pnl,
        close_reason: closeReason[t.exit_reason],
      });
    }
    return {
      open: this.open.map((p) => ({
        position_id: p.id,
        symbol: p.order.symbol,
        side: p.side,
        qty: p.open_qty,
        entry: p.entry_price,
        stop: p.stop,
        leverage: p.order.leverage,
        opened_at: iso(p.opened_ts),
        take_profits_left: p.take_profits.filter((t) => t.filled_at === null).length,
      })),
      recent_closed: recent,
    };
  }
}

/** The live ledger's close_reason for each backtest exit. */
const closeReason: Record<ExitKind, string> = {
  stop_loss: 'stop_loss',
  take_profit: 'take_profit',
  exit_request: 'close',
  emergency_close: 'emergency_close',
  end_of_test: 'close',
  time_stop: 'close',
};
