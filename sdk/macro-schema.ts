import { z } from 'zod';

/**
 * The `macro` context value: market-wide levels (total market cap, dominance) and their
 * trends, as of the newest macro point a run may see (context key `macro`). How every
 * number is computed is in `market/macro/derive.ts` and `docs/macro.md`.
 *
 * Why this shape and not the seed's `OTHERS.D`: TradingView's OTHERS.D is the share of the
 * coins outside the top 10, which none of our sources can compute. Our nearest honest
 * values are named for what they are (`alts_d`, `alts_ex_eth_d`), so no module mistakes a
 * ~40% "everything but BTC and USDT" for a ~8% "outside the top 10".
 */

const iso = z.string().datetime({ offset: true });
const pct = z.number().min(0).max(100);

export const TrendDirection = z
  .enum(['rising', 'falling', 'flat'])
  .describe("'rising' if change_pct > +threshold_pct, 'falling' if < -threshold_pct, else 'flat'");

export const MacroTrend = z.object({
  lookback_days: z.number().int().positive().describe('requested lookback N in days'),
  from: iso.describe('timestamp of the reference point: the newest point stamped at or before as_of - N days'),
  from_value: z.number().describe('value of the metric at the reference point'),
  change: z.number().describe("value at as_of minus value at from, in the metric's unit (USD or percentage points)"),
  change_pct: z.number().describe('100 × change / |from_value|: relative change in percent'),
  slope_per_day: z.number().describe('change divided by the days between from and as_of'),
  threshold_pct: z.number().nonnegative().describe('|change_pct| at or below this is flat'),
  direction: TrendDirection,
});
export type MacroTrend = z.infer<typeof MacroTrend>;

/** Keyed by lookback, e.g. `"7d"`, `"30d"`; null when history does not reach back that far. */
export const MacroTrendSet = z
  .record(z.string().regex(/^[1-9]\d*d$/), MacroTrend.nullable())
  .describe('trend per lookback ("7d", "30d", ...); null = not enough history');

export const macroMetricNames = [
  'total_mcap_usd',
  'btc_d',
  'usdt_d',
  'eth_d',
  'alts_d',
  'alts_ex_eth_d',
  'total3_usd',
] as const;
export const MacroMetric = z.enum(macroMetricNames);
export type MacroMetric = z.infer<typeof MacroMetric>;

export const Macro = z.object({
  source: z
    .string()
    .describe(
      'where every number comes from (one source, never spliced): coingecko_csv, coingecko_global or tradingview_csv',
    ),
  as_of: iso.describe(
    'the time the newest point used describes (00:00 UTC of day D for daily rows, update time for snapshots)',
  ),
  visible_at: iso.describe(
    'when that point became usable: as_of + 1 day for daily rows (the day must close), as_of for snapshots',
  ),
  age_hours: z.number().nonnegative().describe("hours between as_of and the run's decision time"),
  stale: z
    .boolean()
    .describe('true when age_hours exceeds the staleness limit (default 48 h): treat the values with care'),
  total_mcap_usd: z
    .number()
    .positive()
    .nullable()
    .describe('TOTAL: total crypto market cap in USD (null if the source lacks it, e.g. TradingView)'),
  btc_d: pct
    .nullable()
    .describe("BTC.D in percent = 100 × BTC market cap / TOTAL (or the source's own BTC.D when it has no market caps)"),
  usdt_d: pct.nullable().describe("USDT.D in percent = 100 × USDT market cap / TOTAL (or the source's own USDT.D)"),
  eth_d: pct.nullable().describe('ETH.D in percent; only the CoinGecko /global snapshot carries it'),
  alts_d: z
    .number()
    .nullable()
    .describe(
      '100 - BTC.D - USDT.D: share of everything except BTC and USDT (ETH and other stablecoins included). NOT TradingView OTHERS.D',
    ),
  alts_ex_eth_d: z
    .number()
    .nullable()
    .describe(
      '100 - BTC.D - ETH.D - USDT.D, when ETH.D is known; still not OTHERS.D (top-10 coins other than BTC/ETH/USDT are included)',
    ),
  total3_usd: z
    .number()
    .positive()
    .nullable()
    .describe('TradingView TOTAL3: total market cap excluding BTC and ETH, USD (TradingView source only)'),
  total_forward_filled: z
    .boolean()
    .nullable()
    .describe(
      "true when the source repeated the previous day's TOTAL, so dominance used a stale total; null if the source does not say",
    ),
  trends: z
    .object(
      Object.fromEntries(macroMetricNames.map((m) => [m, MacroTrendSet])) as Record<MacroMetric, typeof MacroTrendSet>,
    )
    .describe('per metric, per lookback: change since the reference point and a rising/falling/flat direction'),
});
export type Macro = z.infer<typeof Macro>;
