/**
 * The paper account's arithmetic: pure functions, no I/O, so the model is stated once
 * and the broker, the monitor and the tests all use the same formulas.
 *
 * ACCOUNTING MODEL: a linear, quote-margined, isolated-margin paper account.
 * - The quote wallet (state.quote_currency, e.g. USDT) holds free cash only.
 * - Entry of qty at fill price p with leverage L locks margin = qty*p/L and pays
 *   fee = qty*p*fee_rate: cash_delta = -(margin + fee).
 * - A (partial) exit of q at fill price x realises pnl = (x - entry_fill)*q*dir
 *   (dir +1 long, -1 short), releases margin*(q/open_qty_before) and pays fee
 *   q*x*fee_rate: cash_delta = released + pnl - fee.
 * - Isolated margin: a position can never cost more than the margin it locked (an
 *   exchange liquidates it first; a gap beyond that is the insurance fund's loss). So an
 *   exit's pnl is floored at fee - released, which makes its cash_delta >= 0 and keeps
 *   the wallet from going negative even when a leveraged stop gaps far.
 * - Fills: buys at price*(1+slippage), sells at price*(1-slippage); a long enters with
 *   a buy and exits with sells, a short the reverse.
 * - Every fill is one trades row carrying its cash_delta, so the wallet always equals
 *   state.initial_balance + sum(trades.cash_delta).
 */

import type { CostRates } from '../../sdk/entry-costs.ts';

export type OrderSide = 'buy' | 'sell';
export type PositionSide = 'long' | 'short';

export interface PaperCosts {
  /** Fee as a fraction of notional (paper_fee_bps / 1e4). */
  feeRate: number;
  /** Price slippage as a fraction (paper_slippage_bps / 1e4). */
  slippage: number;
}

export function paperCosts(state: { paper_fee_bps: number; paper_slippage_bps: number }): PaperCosts {
  return { feeRate: state.paper_fee_bps / 1e4, slippage: state.paper_slippage_bps / 1e4 };
}

/** The same costs as the sizers and the risk gate name them (sdk/entry-costs.ts): the slippage is their worst case. */
export function costRates(costs: PaperCosts): CostRates {
  return { fee_rate: costs.feeRate, slippage_rate: costs.slippage };
}

export const direction = (side: PositionSide): 1 | -1 => (side === 'long' ? 1 : -1);
export const positionSide = (entry: OrderSide): PositionSide => (entry === 'buy' ? 'long' : 'short');
export const entryOrderSide = (side: PositionSide): OrderSide => (side === 'long' ? 'buy' : 'sell');
export const exitOrderSide = (side: PositionSide): OrderSide => (side === 'long' ? 'sell' : 'buy');

/** The price a market order of this side gets: slippage always works against the trader. */
export function slippedPrice(side: OrderSide, price: number, slippage: number): number {
  return side === 'buy' ? price * (1 + slippage) : price * (1 - slippage);
}

export interface EntryFill {
  price: number;
  fee: number;
  margin: number;
  cash_delta: number;
}

export function entryFill(
  side: OrderSide,
  qty: number,
  reference: number,
  leverage: number,
  costs: PaperCosts,
): EntryFill {
  const price = slippedPrice(side, reference, costs.slippage);
  const notional = qty * price;
  const margin = notional / leverage;
  const fee = notional * costs.feeRate;
  return { price, fee, margin, cash_delta: -(margin + fee) };
}

/** What an exit needs to know about the position it reduces. */
export interface OpenExposure {
  side: PositionSide;
  entry_price: number;
  open_qty: number;
  margin: number;
}

export interface ExitFill {
  qty: number;
  price: number;
  fee: number;
  released: number;
  realized_pnl: number;
  cash_delta: number;
  /** True when this exit leaves nothing open. */
  closes: boolean;
}

/** A remainder smaller than this share of the open quantity is float dust, not a position. */
const DUST = 1e-9;

/** The exit of `qty` (capped at what is open) at an already slipped fill `price`. */
export function exitFill(pos: OpenExposure, qty: number, price: number, costs: PaperCosts): ExitFill {
  const closes = pos.open_qty - qty <= pos.open_qty * DUST;
  const q = closes ? pos.open_qty : qty;
  const released = closes ? pos.margin : pos.margin * (q / pos.open_qty);
  const fee = q * price * costs.feeRate;
  const rawPnl = (price - pos.entry_price) * q * direction(pos.side);
  // Isolated margin: the loss on this quantity stops at the margin it carried.
  if (released + rawPnl - fee < 0)
    return { qty: q, price, fee, released, realized_pnl: fee - released, cash_delta: 0, closes };
  return { qty: q, price, fee, released, realized_pnl: rawPnl, cash_delta: released + rawPnl - fee, closes };
}
