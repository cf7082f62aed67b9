/**
 * What opening a position takes from the free balance, stated once: the sizers (modules, through
 * the SDK) size with it and the risk gate's balance rule checks with it, so an intent a sizer
 * produced is never refused for a cost the sizer did not count. Pure: numbers in, numbers out.
 */

/** The account's trading costs, as fractions (the paper account's `paper costs`, a backtest's --fee-bps/--slippage-bps). */
export interface CostRates {
  /** Fee per fill as a fraction of notional (0.001 = 10 bps). */
  fee_rate: number;
  /** Worst-case adverse move from the intent's entry price to its fill, as a fraction (0.0005 = 5 bps). */
  slippage_rate: number;
}

/** The rates of an account that charges nothing (what a sizer assumes when the portfolio names no costs). */
export const noCosts: Readonly<CostRates> = Object.freeze({ fee_rate: 0, slippage_rate: 0 });

/**
 * Margin plus fee of an entry of `qty` at `entry` with `leverage`, the fill taken at the worst-case
 * price entry x (1 + slippage_rate) whichever the side: a buy fills up to there, and a sell's
 * margin (notional / leverage) is never higher than there. Negative rates count as 0; a NaN
 * anywhere gives NaN, which every `<=` comparison refuses.
 */
export function entryCost(qty: number, entry: number, leverage: number, rates: CostRates): number {
  const notional = qty * entry * (1 + Math.max(0, rates.slippage_rate));
  return notional / leverage + notional * Math.max(0, rates.fee_rate);
}

/** The largest quantity whose entryCost fits `cash`, before rounding to the market's step (0 when nothing fits). */
export function affordableQty(cash: number, entry: number, leverage: number, rates: CostRates): number {
  const perUnit = entryCost(1, entry, leverage, rates);
  return cash > 0 && perUnit > 0 ? cash / perUnit : 0;
}

/** The portfolio's cost rates, or none when it names none. */
export function costRatesOf(p: { readonly fee_rate?: number; readonly slippage_rate?: number }): CostRates {
  return { fee_rate: p.fee_rate ?? 0, slippage_rate: p.slippage_rate ?? 0 };
}
