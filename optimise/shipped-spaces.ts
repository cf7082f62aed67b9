import type { StudyFileStrategy } from './study-file.ts';

/**
 * The search spaces of the shipped strategies: the knobs that decide when they trade and
 * where their stop sits, within ranges a trader would consider (a module's declared bounds,
 * such as an EMA of 2 to 500 bars, say what is valid, not what is worth trying). A study
 * file replaces a strategy's space; a strategy not listed here searches its agents' declared
 * parameters within their declared bounds.
 */
export const shippedSpaces: Record<string, StudyFileStrategy> = {
  trend_following: {
    space: {
      'trend_pullback_v1.ema_period': { low: 10, high: 100 },
      'trend_pullback_v1.pullback_bars': { low: 1, high: 8 },
      'trend_pullback_v1.touch_tolerance_atr': { low: 0.05, high: 1 },
      'trend_pullback_v1.rsi_floor': { low: 25, high: 55 },
      'breakout_retest_v1.lookback': { low: 10, high: 120 },
      'breakout_retest_v1.max_bars_since_breakout': { low: 3, high: 30 },
      'reentry_v1.max_bars_since_stop': { low: 6, high: 72 },
      'weighted_score_v1.min_score': { low: 0.1, high: 0.7 },
      'atr_stop_v1.atr_mult': { low: 1, high: 4 },
    },
    ties: [],
    fixed: {},
  },
  mean_reversion: {
    space: {
      'mean_reversion_v1.bb_period': { low: 10, high: 60 },
      'mean_reversion_v1.bb_std': { low: 1.5, high: 3.5 },
      'mean_reversion_v1.rsi_period': { low: 5, high: 28 },
      'mean_reversion_v1.oversold': { low: 15, high: 40 },
      'mean_reversion_v1.overbought': { low: 60, high: 85 },
      'mean_reversion_v1.min_rr': { low: 0.3, high: 3 },
      'atr_stop_v1.atr_mult': { low: 1, high: 4 },
    },
    ties: [],
    fixed: {},
  },
  breakout: {
    space: {
      'breakout_v1.lookback': { low: 10, high: 120 },
      'breakout_v1.full_strength_atr': { low: 0.2, high: 3 },
      'breakout_v1.with_trend_only': {},
      'breakout_retest_v1.lookback': { low: 10, high: 120 },
      'breakout_retest_v1.max_bars_since_breakout': { low: 3, high: 30 },
      'fvg_v1.lookback': { low: 5, high: 100 },
      'fvg_v1.min_gap_atr': { low: 0.05, high: 1.5 },
      'atr_stop_v1.atr_mult': { low: 1, high: 4 },
    },
    ties: [],
    fixed: {},
  },
};
