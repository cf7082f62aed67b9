import type { Metrics } from '../backtest/backtest-types.ts';

/**
 * What a trial scores, and whether it may win at all. The constraints are not negotiable:
 * a trial whose drawdown passes the target profile's limit, or that trades fewer times than
 * the minimum, is infeasible whatever its return, and never wins. A feasible positive
 * score is shrunk by `trades / (trades + minTrades)`, so ten lucky trades do not beat a
 * hundred good ones; a negative score is kept as it is (a loss is not made smaller by
 * trading less).
 */
export const objectives = ['sortino', 'calmar', 'sharpe', 'expectancy'] as const;
export type Objective = (typeof objectives)[number];

export interface Constraints {
  /** The target profile's optimizer_max_strategy_drawdown, percent. */
  maxDrawdownPct: number;
  minTrades: number;
}

export interface TrialScore {
  /** The score the sampler maximises; null when infeasible. */
  value: number | null;
  /** The objective's metric as the backtest reported it. */
  raw: number | null;
  /** Why the trial cannot win, in one sentence; null when feasible. */
  infeasible: string | null;
}

const metricOf = (m: Metrics, objective: Objective): number | null =>
  objective === 'expectancy' ? m.expectancy_r : m[objective];

export function scoreTrial(m: Metrics, objective: Objective, c: Constraints): TrialScore {
  const raw = metricOf(m, objective);
  const refuse = (why: string): TrialScore => ({ value: null, raw, infeasible: why });
  if (m.max_drawdown_pct > c.maxDrawdownPct)
    return refuse(`drawdown ${m.max_drawdown_pct.toFixed(1)} % passes the profile's limit of ${c.maxDrawdownPct} %`);
  if (m.trades < c.minTrades) return refuse(`${m.trades} trade(s), fewer than the minimum of ${c.minTrades}`);
  if (raw === null || !Number.isFinite(raw)) return refuse(`no ${objective} (a flat curve or no closed trade)`);
  const value = raw > 0 ? (raw * m.trades) / (m.trades + c.minTrades) : raw;
  return { value, raw, infeasible: null };
}
