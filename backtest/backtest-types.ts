import { z } from 'zod';

/**
 * The shapes a backtest produces and stores. Types come from these schemas; the stored
 * JSON is parsed back through them, so a report read from the database is the report
 * that was written.
 */

/** time_stop: the exit plan's time stop closed it at a bar's close (trading/exit-rules.ts). */
export const ExitReason = z.enum([
  'stop_loss',
  'take_profit',
  'exit_request',
  'emergency_close',
  'end_of_test',
  'time_stop',
]);

/** One round trip: entry fill to the last exit fill of a position. */
export const BacktestTrade = z.object({
  trade_no: z.number().int().positive(),
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  qty: z.number().positive(),
  /** Decision time (bar close) of the intent, ms. */
  decided_at: z.number().int(),
  /** Fill time (open of the next bar), ms. */
  entry_ts: z.number().int(),
  /** Entry fill price, slippage included. */
  entry_price: z.number().positive(),
  stop: z.number().positive(),
  /** Take-profit prices as planned. */
  targets: z.array(z.number().positive()),
  /** Quote currency lost if the stop filled exactly at its price, at the fill price: qty x |entry - stop|. */
  initial_risk: z.number().nonnegative(),
  /** Reward to risk as planned: (last target - entry) / (entry - stop), direction-adjusted; null without a target. */
  planned_rr: z.number().nullable(),
  exit_ts: z.number().int(),
  /** Quantity-weighted average exit fill price. */
  exit_price: z.number().positive(),
  exit_reason: ExitReason,
  fees: z.number().nonnegative(),
  /** Net realised P&L in quote currency, fees included. */
  pnl: z.number(),
  /** pnl / initial_risk; null when the risk was zero. */
  r_multiple: z.number().nullable(),
  bars_held: z.number().int().nonnegative(),
  /** The module whose intent opened it, and the modules that produced or passed its signal, for performance ratings. */
  source_module: z.string().nullable(),
  contributors: z.array(z.object({ module_id: z.string(), version: z.string(), stage: z.string() })),
});
export type BacktestTrade = z.infer<typeof BacktestTrade>;

/** An equity curve: one point per bar close, oldest first. */
export const EquityCurve = z.object({
  ts: z.array(z.number().int()),
  equity: z.array(z.number()),
});
export type EquityCurve = z.infer<typeof EquityCurve>;

const ratio = z.number().nullable().describe('null when undefined (e.g. no variance, no losses)');

export const Metrics = z.object({
  trades: z.number().int().nonnegative(),
  wins: z.number().int().nonnegative(),
  losses: z.number().int().nonnegative(),
  net_pnl: z.number(),
  fees: z.number().nonnegative(),
  total_return_pct: z.number(),
  annualized_return_pct: ratio,
  max_drawdown_pct: z.number().nonnegative(),
  sharpe: ratio,
  sortino: ratio,
  calmar: ratio,
  win_rate_pct: ratio,
  profit_factor: ratio,
  expectancy_r: ratio,
  avg_rr: ratio,
  exposure_pct: z.number().nonnegative(),
});
export type Metrics = z.infer<typeof Metrics>;

/** What the metrics are computed from, for the whole account or one symbol. */
export interface MetricsInput {
  initial_equity: number;
  curve: EquityCurve;
  /** What the trade metrics read of each closed trade (a live record has no more). */
  trades: readonly Pick<BacktestTrade, 'pnl' | 'fees' | 'r_multiple' | 'planned_rr'>[];
  timeframe_ms: number;
  /** Bars (of the curve) during which at least one position was open. */
  exposed_bars: number;
}
