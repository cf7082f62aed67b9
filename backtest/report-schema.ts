import { z } from 'zod';
import { HaltAction } from '../trading/state-repo.ts';
import { Metrics } from './backtest-types.ts';

/** What `trader backtest` was asked, after validation and defaults. */
export const BacktestRequest = z.object({
  symbols: z.array(z.string()).min(1),
  exchange: z.string(),
  timeframe: z.string(),
  from: z.string().datetime(),
  to: z.string().datetime(),
  pipeline_id: z.string(),
  strategy_id: z.string().nullable(),
  initial_equity: z.number().positive(),
  fee_bps: z.number().nonnegative(),
  slippage_bps: z.number().nonnegative(),
  history_bars: z.number().int().positive(),
  risk_profile: z.enum(['low', 'medium', 'high']),
  leverage: z.number().min(1),
  halt_action: HaltAction,
});
export type BacktestRequest = z.infer<typeof BacktestRequest>;

const Counted = z.object({ reason: z.string(), count: z.number().int() });

export const SymbolReport = z.object({
  symbol: z.string(),
  bars: z.number().int().nonnegative(),
  decisions: z.record(z.string(), z.number().int()),
  refused_by_gate: z.number().int(),
  entries_skipped: z.number().int(),
  metrics: Metrics,
});

export const RatingRow = z.object({
  module_id: z.string(),
  version: z.string(),
  stage: z.string(),
  trades: z.number().int(),
  win_rate_pct: z.number().nullable(),
  profit_factor: z.number().nullable(),
  expectancy_r: z.number().nullable(),
  avg_rr: z.number().nullable(),
  net_pnl: z.number(),
});

/** The stored report of one backtest (`backtest_runs.report`); `trader backtest show` prints it. */
export const BacktestReport = z.object({
  schema_version: z.literal(1),
  backtest_id: z.string().uuid(),
  created_at: z.string().datetime(),
  request: BacktestRequest,
  modules: z.record(z.string(), z.array(z.string())).describe('per symbol, the plan as module@version in run order'),
  initial_equity: z.number(),
  final_equity: z.number(),
  total: Metrics,
  symbols: z.array(SymbolReport),
  bars_evaluated: z.number().int().describe('symbol-bar decisions run through the pipeline'),
  same_bar_exits: z.object({
    finer: z.number().int(),
    stop_first: z.number().int(),
    finer_timeframes: z.record(z.string(), z.array(z.string())),
  }),
  halt: z.object({ at: z.string().datetime(), drawdown_pct: z.number(), action: z.string() }).nullable(),
  module_errors: z.array(
    z.object({ module_id: z.string(), count: z.number().int(), lookahead: z.number().int(), first: z.string() }),
  ),
  lookahead: z
    .object({
      sampled: z.number().int(),
      differences: z.number().int(),
      peeks: z.number().int(),
      findings: z.array(
        z.object({ symbol: z.string(), at: z.string(), kind: z.enum(['differs', 'peeked']), detail: z.string() }),
      ),
    })
    .nullable()
    .describe('the --check-lookahead result, when asked for'),
  gate_refusals: z.array(Counted),
  skipped_entries: z.array(Counted),
  ratings: z.array(RatingRow),
  duration_ms: z.number().int().nonnegative().describe('the whole command: loading, replay, metrics, storing'),
  replay_ms: z.number().int().nonnegative().describe('the replay loop alone'),
  bars_per_second: z.number().nonnegative().describe('bars_evaluated per second of replay'),
});
export type BacktestReport = z.infer<typeof BacktestReport>;
