import type { BacktestTrade, EquityCurve, Metrics } from './backtest-types.ts';
import type { PreparedBacktest } from './backtest-setup.ts';
import { computeMetrics } from './metrics.ts';
import type { ReplaySettings } from './replay-loop.ts';
import { parseTimeframe } from '../market/timeframes.ts';

/**
 * What a replay of a prepared backtest runs with: a TEST account in Full-Auto with the
 * request's profile, leverage, halt action, costs and equity. A backtest and an optimiser
 * trial both replay through these settings, so a trial's figures are a backtest's figures.
 */
export function replaySettings(prepared: PreparedBacktest, runId: string): ReplaySettings {
  const { request, profile } = prepared;
  return {
    run: {
      run_id: runId,
      pipeline_id: request.pipeline_id,
      system_mode: 'TEST',
      operational_mode: 'full_auto',
      risk_profile: profile.profile,
      exchange: request.exchange,
      timeframe: request.timeframe,
      trigger: 'backtest',
    },
    profile,
    leverage: request.leverage,
    haltAction: request.halt_action,
    costs: { feeRate: request.fee_bps / 1e4, slippage: request.slippage_bps / 1e4 },
    initialEquity: request.initial_equity,
    timeframeMs: parseTimeframe(request.timeframe),
    historyBars: request.history_bars,
    minBars: Math.min(request.history_bars, 100),
  };
}

/** The metrics of a curve and its trades under a prepared backtest's equity and timeframe. */
export const replayMetrics =
  (prepared: PreparedBacktest) =>
  (curve: EquityCurve, trades: readonly BacktestTrade[], exposedBars: number): Metrics =>
    computeMetrics({
      initial_equity: prepared.request.initial_equity,
      curve,
      trades,
      timeframe_ms: parseTimeframe(prepared.request.timeframe),
      exposed_bars: exposedBars,
    });
