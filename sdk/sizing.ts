import { z } from 'zod';
import type { ContextValue } from './context-keys.ts';
import { affordableQty, costRatesOf, entryCost, noCosts, type CostRates } from './entry-costs.ts';
import { floorToStep, stepFromPrecision } from './indicators.ts';

/**
 * Fixed-fractional position sizing shared by the risk modules (fixed_fractional_v1/v2). They differ
 * in where the stop and the risk percent come from; the arithmetic that turns them into an order
 * quantity must be the same, because its guarantees (never risk more than the budget, never
 * exceed the notional cap, respect the exchange's step and minimums) are what the tests pin down.
 * Pure: numbers in, numbers out.
 */

/**
 * Rounds a stop price away from the entry to the tick: down for a long's stop (sign > 0), up for a
 * short's (sign < 0). Unknown or non-positive tick: unchanged. With `neverTowardEntry`, a short's
 * rounded stop that float error left below the raw stop is replaced by the raw stop, so rounding
 * can only widen it (fixed_fractional_v2 relies on that; v1 keeps its original behaviour).
 */
export function stopToTick(
  stop: number,
  tick: number | null,
  sign: number,
  opts: { neverTowardEntry?: boolean } = {},
): number {
  if (tick === null || !(tick > 0)) return stop;
  if (sign > 0) return floorToStep(stop, tick);
  const decimals = Math.max(0, -Math.floor(Math.log10(tick)) + 2);
  const up = Number((Math.ceil(stop / tick - 1e-9) * tick).toFixed(decimals));
  return opts.neverTowardEntry && up < stop ? stop : up;
}

export interface RiskSizingInput {
  equity: number;
  /** percent of equity lost if the stop fills */
  riskPct: number;
  /** cap on the position value, percent of equity (spot, leverage 1) */
  maxNotionalPct: number;
  entry: number;
  /** |entry - stop|, > 0 */
  dist: number;
  /** amount step (see amountStep) */
  step: number;
  /**
   * The free balance that pays the entry: qty is cut so that entryCost (margin + fee at worst-case
   * slippage, sdk/entry-costs.ts, the risk gate's own measure) fits `cash`. Absent: not checked.
   */
  wallet?: SizingWallet;
}

export interface SizingWallet {
  cash: number;
  leverage: number;
  rates: CostRates;
}

/** The wallet a sizer sizes against: the portfolio's free balance and cost rates at `leverage`; none when the free balance is unknown. */
export function walletOf(
  portfolio: { readonly free_balance?: number; readonly fee_rate?: number; readonly slippage_rate?: number },
  leverage: number,
): SizingWallet | undefined {
  const cash = portfolio.free_balance;
  return cash === undefined ? undefined : { cash, leverage, rates: costRatesOf(portfolio) };
}

export interface RiskSizing {
  /** equity x riskPct / 100: money lost at the stop */
  budget: number;
  /** equity x maxNotionalPct / 100 */
  maxNotional: number;
  /** budget / dist before the cap; equal to the pre-cap quantity */
  uncapped: number;
  /** whether the notional cap lowered the quantity */
  capped: boolean;
  /** the quantity the wallet pays for, before the step (Infinity without a wallet) */
  affordable: number;
  /** whether the wallet (free balance) lowered the quantity below the risk budget and the notional cap */
  cashCapped: boolean;
  /** final quantity: capped, floored to the step, then float-guarded; may be 0 */
  qty: number;
}

/**
 * The risk percent a sizer may use: its own, lowered to the active profile's limit when the
 * portfolio carries one (the risk gate would refuse anything above it). `note` says so.
 */
export function withinProfileLimit(
  riskPct: number,
  maxRiskPct: number | undefined,
): { riskPct: number; note: string | null } {
  if (maxRiskPct === undefined || riskPct <= maxRiskPct) return { riskPct, note: null };
  return { riskPct: maxRiskPct, note: `risk ${riskPct}% lowered to the risk profile's limit of ${maxRiskPct}%` };
}

/** The amount step from the instrument's precision, or the module's default decimals when unknown. */
export function amountStep(amountPrecision: number | null, defaultDecimals: number): number {
  return stepFromPrecision(amountPrecision ?? defaultDecimals);
}

/** How the step is described in rationales (says when the precision was unknown). */
export function stepText(step: number, amountPrecision: number | null): string {
  return `step ${Number(step.toPrecision(1))}${amountPrecision === null ? ' (precision unknown: default_amount_decimals)' : ''}`;
}

/**
 * qty = budget / dist, capped so qty x entry <= maxNotional and so the wallet pays margin and fees
 * (when given), floored to the step. Rounding only ever lowers qty, so the realised risk never
 * exceeds the budget; a final loop guards against float error doing otherwise.
 */
export function sizeByRisk(i: RiskSizingInput): RiskSizing {
  const budget = (i.equity * i.riskPct) / 100;
  const maxNotional = (i.equity * i.maxNotionalPct) / 100;
  const uncapped = budget / i.dist;
  let raw = uncapped;
  const capped = raw * i.entry > maxNotional;
  if (capped) raw = maxNotional / i.entry;
  const w = i.wallet;
  const affordable = w ? affordableQty(w.cash, i.entry, w.leverage, w.rates) : Infinity;
  const cashCapped = raw > affordable;
  if (cashCapped) raw = affordable;
  // Float rounding must never make the order risk more than the budget, exceed the cap or the wallet.
  const qty = flooredToFit(raw, i.step, (q) => {
    return (
      q * i.dist <= budget && q * i.entry <= maxNotional && (!w || entryCost(q, i.entry, w.leverage, w.rates) <= w.cash)
    );
  });
  return { budget, maxNotional, uncapped, capped, affordable, cashCapped, qty };
}

/**
 * `raw` floored to the step, then stepped down while float error leaves it a hair beyond what
 * `fits` allows (when the step is below the float resolution of qty, an ulp or so is shaved
 * instead). 0 when nothing positive fits within a few steps.
 */
export function flooredToFit(raw: number, step: number, fits: (qty: number) => boolean): number {
  let qty = floorToStep(raw, step);
  for (let k = 0; k < 8 && qty > 0 && !fits(qty); k++) {
    const next = floorToStep(Math.max(0, qty - step), step);
    qty = next < qty ? next : qty * (1 - 4 * Number.EPSILON);
  }
  return qty > 0 && fits(qty) ? qty : 0;
}

/** Basis points of a fraction, for rationales ("10 bps"). */
const bps = (rate: number) => `${Number((rate * 1e4).toPrecision(6))} bps`;

/** Why the wallet cut the quantity, for a sizer's rationale notes (null when it did not). */
export function walletNote(s: RiskSizing, wallet: SizingWallet | undefined, currency: string): string | null {
  if (!s.cashCapped || !wallet) return null;
  const lev = wallet.leverage === 1 ? '' : ` at ${wallet.leverage}x`;
  return `qty cut to ${s.affordable.toPrecision(6)}: what the free balance ${wallet.cash.toFixed(2)} ${currency} pays${lev} (margin + fee ${bps(wallet.rates.fee_rate)} at worst-case slippage ${bps(wallet.rates.slippage_rate)})`;
}

/**
 * Why a sized quantity cannot be ordered, or null when it can: 0 after rounding, below the
 * exchange's min_qty, or notional below min_notional (null limits = unknown = not checked).
 * The text is appended to a rationale after "; ".
 */
export function minimumsViolation(
  qty: number,
  entry: number,
  inst: { readonly min_qty: number | null; readonly min_notional: number | null },
): string | null {
  if (!(qty > 0)) return 'the quantity rounds to 0';
  if (inst.min_qty !== null && qty < inst.min_qty) return `below min_qty ${inst.min_qty}`;
  const notional = qty * entry;
  if (inst.min_notional !== null && notional < inst.min_notional) {
    return `notional ${notional.toFixed(2)} below min_notional ${inst.min_notional}`;
  }
  return null;
}

/** Params every fixed-fractional sizer takes (notional cap, fallback amount decimals), for spreading into z.object. */
export const sizingParamShape = {
  max_notional_pct: z
    .number()
    .positive()
    .max(100)
    .default(100)
    .describe('cap on the position value as percent of equity (spot, no leverage)'),
  default_amount_decimals: z
    .number()
    .int()
    .min(0)
    .max(12)
    .default(8)
    .describe("quantity decimals used when the instrument's amount precision is unknown"),
};

/**
 * The spot order intent for a sized quantity, with the realised risk (after rounding) rather than
 * the requested one, so downstream checks see what the order really risks. Leverage is always 1.
 */
export function spotIntent(a: {
  symbol: string;
  /** +1 long (buy), -1 short (sell) */
  sign: number;
  qty: number;
  entry: number;
  stop: number;
  /** |entry - stop| */
  dist: number;
  equity: number;
  takeProfits: { price: number; fraction: number }[];
  /** 1 (the default) for spot; see leverageFor. */
  leverage?: number;
  /** The exit plan's breakeven and time-stop rules, when an exit plan set the targets. */
  exitRules?: { breakeven_after_tp: number | null; time_stop_bars: number | null };
}): ContextValue<'intents'>[number] {
  const riskAmount = a.qty * a.dist;
  return {
    symbol: a.symbol,
    side: a.sign > 0 ? 'buy' : 'sell',
    qty: a.qty,
    entry: a.entry,
    stop: a.stop,
    take_profits: a.takeProfits,
    leverage: a.leverage ?? 1,
    risk_pct: (riskAmount / a.equity) * 100,
    risk_amount: riskAmount,
    notional: a.qty * a.entry,
    ...a.exitRules,
  };
}

/** "Notional N CUR, realised risk R CUR = P% of equity." for an intent's rationale. */
export function realisedRiskText(
  intent: { notional: number; risk_amount: number; risk_pct: number },
  currency: string,
): string {
  return `Notional ${intent.notional.toFixed(2)} ${currency}, realised risk ${intent.risk_amount.toFixed(2)} ${currency} = ${intent.risk_pct.toFixed(4)}% of equity.`;
}

/**
 * The idea the risk modules act on: highest score, ties to the higher rr, then the first. Shared so
 * the stop planner, the exit planner and the sizers all pick the same idea from one list.
 * The list must not be empty.
 */
export function bestIdea<I extends { readonly score: number; readonly rr: number }>(ideas: readonly I[]): I {
  return ideas.reduce((a, b) => (b.score > a.score || (b.score === a.score && b.rr > a.rr) ? b : a));
}

/** The maintenance margin rate assumed for isolated-margin liquidation (by sizers and the risk gate alike). */
export const maintenanceMarginRate = 0.005;

/**
 * The leverage for a position of `notional`: 1 unless the account may use more
 * (`maxLeverage`), else the smallest whole leverage whose margin and fees (entryCost at the
 * account's `rates`, as the risk gate measures them) fit the free balance. Leverage never
 * changes the risk (that is qty x stop distance); it only lowers the margin. It is kept below
 * the point where the stop would sit beyond liquidation (1/L - maintenance), and `note` says
 * what was chosen and why. When even that leverage does not fit, the sizer cuts the quantity.
 */
export function leverageFor(a: {
  notional: number;
  freeBalance: number | undefined;
  maxLeverage: number | undefined;
  stopFraction: number;
  rates?: CostRates;
}): { leverage: number; note: string | null } {
  const max = Math.floor(a.maxLeverage ?? 1);
  const free = a.freeBalance;
  if (max <= 1 || free === undefined) return { leverage: 1, note: null };
  const liquidationCap = Math.max(1, Math.floor(1 / (a.stopFraction + maintenanceMarginRate) - 1e-9));
  const cap = Math.min(max, liquidationCap);
  const cost = (l: number) => entryCost(a.notional, 1, l, a.rates ?? noCosts);
  let leverage = 1;
  while (leverage < cap && !(cost(leverage) <= free)) leverage++;
  if (leverage === 1) return { leverage, note: null };
  const limits = `allowed up to ${max}x, stop ${(a.stopFraction * 100).toFixed(2)}% away keeps liquidation beyond it up to ${liquidationCap}x`;
  const paid = `margin and fees ${cost(leverage).toFixed(2)}`;
  return {
    leverage,
    note:
      cost(leverage) <= free
        ? `leverage ${leverage}x so the ${paid} fit the free balance ${free.toFixed(2)} (${limits})`
        : `leverage ${leverage}x, the ${cap === max ? 'maximum' : 'liquidation-safe most'} (${limits}): ${paid} still exceed the free balance ${free.toFixed(2)}`,
  };
}
