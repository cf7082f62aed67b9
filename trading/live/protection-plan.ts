import type { TakeProfitRung } from '../positions-repo.ts';
import { roundToStep } from './decimal-steps.ts';
import { fitOrder, type MarketFilters } from './market-filters.ts';

/**
 * How a filled long is protected on the exchange (issue 15, item 3), as a pure plan:
 * - every unit owned is under a stop-loss-limit at the position's stop, its limit
 *   STOP_LIMIT_OFFSET_PCT below the trigger (rounded away from it), so a fall that
 *   triggers the stop still fills unless the price gaps more than that offset in one move;
 * - each open take-profit rung gets an OCO list of its own (take-profit limit + stop-loss-
 *   limit for the rung's share of the quantity): a rung that fills cancels only its own stop
 *   and the rest stays protected. The last rung takes what the earlier ones leave, so the
 *   shares never add up to more than is owned; whatever no rung covers (fractions below 1)
 *   is protected by a stop-loss-limit alone;
 * - without OCO support every share is a stop-loss-limit alone (the targets are then the
 *   strategy's exits on the next runs, not exchange orders);
 * - quantities are rounded down to the step; a share too small for the market's minimum
 *   quantity or order value joins the next one; what stays below the minimum is dust,
 *   tracked in the wallet and left unprotected (the exchange would refuse the order).
 */

/** How far below the stop trigger a sell stop-loss-limit's limit sits, in percent of the stop. */
export const STOP_LIMIT_OFFSET_PCT = 0.5;

export interface ProtectionLeg {
  qty: number;
  stop_price: number;
  stop_limit: number;
  /** The take-profit limit of an OCO list; null for a stop alone. */
  take_profit: number | null;
}

export interface ProtectionInput {
  open_qty: number;
  /** The quantity of the position when it was fully entered (the fractions' base). */
  qty: number;
  stop_price: number;
  take_profits: readonly TakeProfitRung[];
  filters: MarketFilters;
  oco: boolean;
}

/** A sell stop's trigger on the tick, rounded up: it fires no later than the position's stop. */
export function stopTriggerOf(stop: number, tick: number): number {
  return roundToStep(stop, tick, 'up');
}

export function stopLimitOf(stop: number): number {
  return stop * (1 - STOP_LIMIT_OFFSET_PCT / 100);
}

/** Whether a sell leg of this quantity passes the market's filters at its lowest price. */
function tradable(filters: MarketFilters, qty: number, stopLimit: number): boolean {
  return (
    qty > 0 &&
    fitOrder(filters, {
      side: 'sell',
      type: 'stop_loss_limit',
      qty,
      price: stopLimit,
      stop_price: stopLimit,
      reference_price: stopLimit,
    }).ok
  );
}

export function protectionLegs(p: ProtectionInput): { legs: ProtectionLeg[]; dust: number } {
  const step = p.filters.step_size;
  const tick = p.filters.tick_size;
  // Prices on the tick, never worse for us: the trigger up (it fires no later), the stop's
  // limit down (the offset never shrinks), a target up.
  const stop_price = stopTriggerOf(p.stop_price, tick);
  const stop_limit = roundToStep(stopLimitOf(stop_price), tick, 'down');
  // Quantities are counted in whole steps, so sums and differences stay exact.
  const stepsOf = (x: number) => Math.round(roundToStep(x, step, 'down') / step);
  const digits = Math.max(0, Math.ceil(-Math.log10(step))) + 2;
  const qtyOf = (steps: number) => Number((steps * step).toFixed(digits));
  const wanted: { steps: number; take_profit: number | null }[] = [];
  let left = stepsOf(p.open_qty);
  if (p.oco) {
    const open = p.take_profits.filter((r) => r.filled_at === null);
    const coverable = open.reduce((s, r) => s + r.fraction, 0);
    open.forEach((r, k) => {
      const last = k === open.length - 1 && coverable >= 1 - 1e-9;
      const steps = last ? left : Math.min(left, stepsOf(r.fraction * p.qty));
      if (steps <= 0) return;
      wanted.push({ steps, take_profit: roundToStep(r.price, tick, 'up') });
      left -= steps;
    });
  }
  if (left > 0) wanted.push({ steps: left, take_profit: null });
  // A share below the filters joins the next one; the last one joins the one before.
  const legs: ProtectionLeg[] = [];
  let carry = 0;
  for (const w of wanted) {
    const steps = w.steps + carry;
    if (!tradable(p.filters, qtyOf(steps), stop_limit)) {
      carry = steps;
      continue;
    }
    carry = 0;
    legs.push({ qty: qtyOf(steps), stop_price, stop_limit, take_profit: w.take_profit });
  }
  const lastLeg = legs.at(-1);
  if (carry > 0 && lastLeg) lastLeg.qty = qtyOf(stepsOf(lastLeg.qty) + carry);
  const covered = legs.reduce((s, l) => s + stepsOf(l.qty), 0);
  return { legs, dust: Math.max(0, p.open_qty - qtyOf(covered)) };
}
