import { z } from 'zod';

/** Value shapes of the context keys. Each is defined once; `context-keys.ts` says who writes it. */

export const MarketSymbol = z.string().regex(/^[A-Z0-9]{2,20}\/[A-Z0-9]{2,20}$/, 'a symbol like BTC/USDT');

const price = z.number().positive();
const iso = z.string().datetime({ offset: true });

export const RunInfo = z.object({
  run_id: z.string().uuid(),
  pipeline_id: z.string(),
  strategy_id: z.string().nullable(),
  system_mode: z.enum(['TEST', 'LIVE']).describe('TEST = paper trading tables, LIVE = real money tables'),
  operational_mode: z.enum(['observe', 'semi_auto', 'full_auto']),
  risk_profile: z.enum(['low', 'medium', 'high']),
  exchange: z.string(),
  timeframe: z.string(),
  as_of: iso.describe('decision time (UTC); only candles closed by then are visible'),
  trigger: z.string(),
});

export const Instrument = z.object({
  exchange: z.string(),
  symbol: z.string(),
  base: z.string(),
  quote: z.string(),
  category: z.string(),
  price_precision: z.number().int().nullable(),
  amount_precision: z.number().int().nullable(),
  tick_size: z.number().positive().nullable(),
  min_qty: z.number().nonnegative().nullable(),
  min_notional: z.number().nonnegative().nullable(),
});

/** Columnar OHLCV, oldest first, closed candles only (open time + timeframe <= as_of). */
export const CandleSeries = z.object({
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  ts: z.array(z.number().int()).describe('candle open times, ms since epoch'),
  open: z.array(price),
  high: z.array(price),
  low: z.array(price),
  close: z.array(price),
  volume: z.array(z.number().nonnegative()),
});

export const DataHealth = z.object({
  ok: z.boolean(),
  bars: z.number().int().nonnegative(),
  gaps: z.number().int().nonnegative().describe('places where one or more candles are missing'),
  missing_bars: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative().describe('candles that repeat the time of the one before'),
  bad_values: z
    .number()
    .int()
    .nonnegative()
    .describe('candles with a non-finite, zero or negative price, or a non-finite or negative volume'),
  ohlc_errors: z.number().int().nonnegative().describe('candles whose high/low do not contain open and close'),
  off_grid: z.number().int().nonnegative().describe("candles whose open time is not on the timeframe's grid"),
  first_corrupt_ts: z
    .number()
    .int()
    .nullable()
    .describe(
      'open time (ms) of the first candle counted in bad_values, ohlc_errors or off_grid; a run blocks the symbol before any module when there is one',
    ),
  zero_volume_streak: z.number().int().nonnegative().describe('longest run of consecutive zero-volume candles'),
  last_close_ts: z.number().int().nullable().describe('close time of the newest candle, ms'),
  stale: z.boolean().describe('newest candle closed more than one timeframe before as_of'),
  issues: z.array(z.string()),
});

export const Portfolio = z.object({
  system_mode: z.enum(['TEST', 'LIVE']),
  equity: z.number().nonnegative(),
  currency: z.string(),
  source: z.string().describe('where the equity figure comes from'),
  max_risk_pct: z
    .number()
    .positive()
    .max(10)
    .optional()
    .describe(
      "the active risk profile's limit on risk per trade, percent of equity; the risk gate refuses more, so sizers stay within it",
    ),
  free_balance: z
    .number()
    .nonnegative()
    .optional()
    .describe('free quote cash now: what margin and fees of a new position are paid from'),
  max_leverage: z
    .number()
    .min(1)
    .optional()
    .describe('the leverage the account may use now: 1 unless the High profile allows leverage and it was activated'),
  fee_rate: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      'fee per fill the account pays, fraction of notional (0.001 = 10 bps); sizers count it (sdk entryCost) as the risk gate does',
    ),
  slippage_rate: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      'worst-case adverse move from an entry price to its fill, fraction (0.0005 = 5 bps); sizers count it (sdk entryCost) as the risk gate does',
    ),
});

export const OpenPositionView = z.object({
  position_id: z.number().int().positive(),
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  qty: z.number().positive().describe('quantity still open'),
  entry: price.describe('entry fill price'),
  stop: price,
  leverage: z.number().min(1),
  opened_at: iso,
  take_profits_left: z.number().int().nonnegative().describe('take-profit rungs not filled yet'),
});

export const ClosedPositionView = z.object({
  position_id: z.number().int().positive(),
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  entry: price,
  opened_at: iso,
  closed_at: iso,
  realized_pnl: z.number().describe('quote currency, fees included; negative = a loss'),
  close_reason: z.string().nullable().describe('stop_loss, take_profit, close, emergency_close'),
});

export const Positions = z.object({
  open: z.array(OpenPositionView).describe("the account's open positions at as_of, every market"),
  recent_closed: z
    .array(ClosedPositionView)
    .max(20)
    .describe("this symbol's positions closed by as_of, newest first (at most 20)"),
});

export const ExitRequest = z.object({
  source: z.string().optional().describe('module_id, stamped by the orchestrator'),
  position_id: z.number().int().positive(),
  symbol: z.string(),
  reason: z.string().min(1).describe('why the trade is invalidated, with the numbers'),
});

export const MarketState = z.object({
  trend: z.enum(['up', 'down', 'flat']),
  regime: z.enum(['trending', 'ranging', 'volatile']),
  adx: z.number().nonnegative(),
  ema_fast: price,
  ema_slow: price,
  ema_slope_pct: z.number().describe('percent change of the slow EMA over the slope lookback'),
});

export const Volatility = z.object({
  atr: z.number().nonnegative(),
  atr_pct: z.number().nonnegative().describe('ATR as percent of the last close'),
  band: z.enum(['low', 'normal', 'high']),
});

export const FilterVerdict = z.object({
  source: z.string().optional().describe('module_id, stamped by the orchestrator'),
  allow: z.boolean(),
  reason: z.string().min(1),
});

const Direction = z.enum(['long', 'short']);

export const Signal = z.object({
  source: z.string().optional().describe('module_id, stamped by the orchestrator'),
  direction: Direction,
  setup: z.string().min(1),
  entry: price,
  stop: price,
  targets: z.array(price).min(1),
  rr: z.number().nonnegative().describe('reward:risk to the first target'),
  confidence: z.number().min(0).max(1),
});

export const Idea = z.object({
  source: z.string().optional().describe('module_id, stamped by the orchestrator'),
  direction: Direction,
  entry: price,
  stop: price,
  targets: z.array(price).min(1),
  rr: z.number().nonnegative(),
  score: z.number().min(0).max(1),
  confirmations: z.array(z.string()).describe('module_ids of the agreeing signals'),
});

/** The exit plan's position rules, carried from the exit plan through the intent to the position. */
const breakevenAfterTp = z
  .number()
  .int()
  .min(0)
  .nullable()
  .describe('move the stop to entry after this many take-profits fill (0 = from the start); null = never');
const timeStopBars = z
  .number()
  .int()
  .positive()
  .nullable()
  .describe('close the trade after this many bars if no target was hit; null = none');

export const Intent = z.object({
  source: z.string().optional().describe('module_id, stamped by the orchestrator'),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: z.number().positive(),
  entry: price,
  stop: price,
  take_profits: z.array(z.object({ price, fraction: z.number().positive().max(1) })).min(1),
  leverage: z.number().min(1),
  risk_pct: z.number().positive().describe('percent of equity lost if the stop fills'),
  risk_amount: z.number().positive(),
  notional: z.number().positive(),
  breakeven_after_tp: breakevenAfterTp.optional().describe("the exit plan's breakeven rule; absent or null = off"),
  time_stop_bars: timeStopBars.optional().describe("the exit plan's time stop, in bars; absent or null = off"),
});

export const Rationale = z.object({
  module_id: z.string(),
  version: z.string(),
  stage: z.string(),
  text: z.string(),
});

// ---- Context-stage derivations used by the module pack ----

export const Session = z.object({
  name: z
    .enum(['asia', 'london', 'london_new_york_overlap', 'new_york', 'off_hours'])
    .describe('trading session at as_of (UTC hours)'),
  weekend: z.boolean().describe('Saturday or Sunday UTC'),
  hour_utc: z.number().int().min(0).max(23),
  day_of_week: z.number().int().min(0).max(6).describe('0 = Sunday'),
});

export const Liquidity = z.object({
  avg_quote_volume: z.number().nonnegative().describe('mean close × volume over the lookback, in the quote currency'),
  spread_proxy_pct: z
    .number()
    .nonnegative()
    .describe('estimated bid-ask spread in percent of price, from candle ranges (no order book)'),
  tier: z.enum(['high', 'medium', 'low']),
  category: z.string().describe("the instrument's category (major, alt, stable...)"),
});

export const KeyLevels = z.object({
  swing_highs: z.array(price).describe('recent confirmed swing highs, newest first'),
  swing_lows: z.array(price).describe('recent confirmed swing lows, newest first'),
  prior_day_high: price.nullable(),
  prior_day_low: price.nullable(),
  prior_week_high: price.nullable(),
  prior_week_low: price.nullable(),
  nearest_resistance: price.nullable().describe('lowest level above the last close'),
  nearest_support: price.nullable().describe('highest level below the last close'),
});

export const DominanceState = z.object({
  direction: z
    .enum(['rising', 'falling', 'flat', 'unknown'])
    .describe("the metric's trend over the analyzer's lookback; unknown without macro data"),
  change_pct: z.number().nullable().describe('relative change over the lookback, percent'),
  bias: z.enum(['risk_on', 'risk_off', 'neutral']).describe('what this trend alone suggests for crypto risk'),
});

export const MarketRegime = z.object({
  regime: z.enum(['risk_on', 'risk_off', 'neutral', 'alt_season']),
  rule: z.string().min(1).describe('the rule that produced the regime, in words'),
});

export const RiskParams = z.object({
  multiplier: z.number().min(0).max(2).describe('scales the base risk per trade (0 = no new risk)'),
  risk_per_trade_pct: z
    .number()
    .nonnegative()
    .max(10)
    .describe('percent of equity to risk on one trade after the multiplier'),
  max_positions: z.number().int().nonnegative(),
  category_cap_pct: z.number().nonnegative().max(100).describe('most equity at risk in one category, percent'),
  rules_applied: z.array(z.string()).describe('ids of the rules that set these values'),
});

export const StopPlan = z.object({
  direction: Direction,
  entry: price,
  stop: price,
  method: z.string().min(1).describe('how the stop was set, e.g. "atr 2.0x" or "idea stop (wider than ATR)"'),
});

export const ExitPlan = z.object({
  take_profits: z
    .array(z.object({ price, fraction: z.number().positive().max(1) }))
    .min(1)
    .describe('scale-out ladder; fractions sum to 1'),
  breakeven_after_tp: breakevenAfterTp,
  time_stop_bars: timeStopBars,
});
