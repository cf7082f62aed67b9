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
  ohlc_errors: z.number().int().nonnegative().describe('candles whose high/low do not contain open and close'),
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
});

export const Rationale = z.object({
  module_id: z.string(),
  version: z.string(),
  stage: z.string(),
  text: z.string(),
});
