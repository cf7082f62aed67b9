import { z } from 'zod';

/**
 * The exit plan's two position rules (sdk ExitPlan, modules/risk/tp_ladder_v1.ts), carried
 * by the intent, the proposal, the order and the position, and honoured by the paper
 * broker, the backtest and the LIVE broker alike:
 * - breakeven_after_tp: once that many take-profit rungs filled (0: from the start), the
 *   stop moves to the entry fill price; only ever tightened, never loosened;
 * - time_stop_bars: once that many bars passed since the entry with no rung filled, what is
 *   left is closed at market.
 * Absent or null: the rule is off (orders and positions recorded before the rules existed).
 */
export const exitRuleFields = {
  breakeven_after_tp: z.number().int().min(0).nullish(),
  time_stop_bars: z.number().int().positive().nullish(),
};

export interface ExitRules {
  breakeven_after_tp?: number | null;
  time_stop_bars?: number | null;
}

interface RuledPosition extends ExitRules {
  side: 'long' | 'short';
  entry_price: number;
  stop_price: number;
  take_profits: readonly { filled_at: string | null }[];
}

const filledRungs = (p: RuledPosition) => p.take_profits.filter((r) => r.filled_at !== null).length;

/**
 * The stop the breakeven rule asks for now, or null when it leaves the stop alone: the rule
 * is off, too few rungs filled, or the stop is already at or beyond the entry.
 */
export function breakevenStop(p: RuledPosition): number | null {
  const after = p.breakeven_after_tp;
  if (after === null || after === undefined || filledRungs(p) < after) return null;
  const tighter = p.side === 'long' ? p.entry_price > p.stop_price : p.entry_price < p.stop_price;
  return tighter ? p.entry_price : null;
}

/** Why the stop moved, for the audit trail. */
export function breakevenReason(p: ExitRules): string {
  return p.breakeven_after_tp === 0
    ? 'breakeven from the start (exit plan)'
    : `breakeven after ${p.breakeven_after_tp} take-profit(s) filled (exit plan)`;
}

/**
 * Whether the time stop closes the position once the bar opening at `barOpenMs` has closed:
 * time_stop_bars bars since `openedMs` (counted in time, so a missing candle still counts)
 * and no take-profit rung filled.
 */
export function timeStopDue(
  p: ExitRules & { take_profits: readonly { filled_at: string | null }[] },
  o: { openedMs: number; barOpenMs: number; stepMs: number },
): boolean {
  const bars = p.time_stop_bars;
  if (bars === null || bars === undefined || p.take_profits.some((r) => r.filled_at !== null)) return false;
  return Math.floor((o.barOpenMs - o.openedMs) / o.stepMs) + 1 >= bars;
}

export const TIME_STOP_REASON = 'time_stop';
