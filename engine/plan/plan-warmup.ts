import type { Plan } from './plan-types.ts';

/**
 * How much history a plan needs before its decisions stop depending on where the history
 * starts. Finite-window indicators never do (sdk/indicators.ts), but recursive ones (EMA,
 * Wilder's RSI/ATR/ADX) depend on their seed: each module's registration gate measured the
 * bars after which its output no longer changes with an older start (module_registry.gate
 * warmup_bars), and a run loads at least the largest of them, so a live run and a backtest
 * starting elsewhere decide the same candle alike.
 */

/** The longest warm-up recorded for a slot of the plan, with its module; null when none was recorded. */
export function planWarmup(plan: Plan): { bars: number; module_id: string } | null {
  let longest: { bars: number; module_id: string } | null = null;
  for (const slot of plan.slots) {
    const bars = slot.module.row.gate?.warmup_bars;
    if (bars !== undefined && bars !== null && (longest === null || bars > longest.bars))
      longest = { bars, module_id: slot.module_id };
  }
  return longest;
}

/** The history to load for a plan: what was asked, raised to the plan's recorded warm-up (and why, when raised). */
export function historyFor(plan: Plan, requested: number): { bars: number; raised: string | null } {
  const warmup = planWarmup(plan);
  if (warmup === null || warmup.bars <= requested) return { bars: requested, raised: null };
  return {
    bars: warmup.bars,
    raised: `history raised from ${requested} to ${warmup.bars} bars: ${warmup.module_id} needs ${warmup.bars} bars of warm-up (measured by its registration gate) before its output stops depending on where the history starts`,
  };
}
