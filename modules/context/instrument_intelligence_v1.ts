import { defineManifest, z, type ModuleRun } from '../../sdk/index.ts';

/**
 * Liquidity of the instrument from its last `lookback` closed candles (no order book).
 *
 * - avg_quote_volume: mean of close × volume over those candles, in the quote currency, per
 *   candle of the run timeframe (so the tier thresholds are per candle too).
 * - spread_proxy_pct: the Corwin-Schultz (2012) high-low spread estimator, in percent. For each
 *   pair of consecutive candles t, t+1:
 *     beta  = ln(H_t/L_t)^2 + ln(H_t+1/L_t+1)^2
 *     gamma = ln(max(H_t, H_t+1) / min(L_t, L_t+1))^2
 *     alpha = (sqrt(2 beta) - sqrt(beta)) / (3 - 2 sqrt 2) - sqrt(gamma / (3 - 2 sqrt 2))
 *     S     = 2 (e^alpha - 1) / (1 + e^alpha)
 *   Negative pair estimates (volatility larger than the range suggests) are set to 0 before
 *   averaging, as in the paper; the result is the mean over the pairs × 100. Crypto trades
 *   around the clock, so the paper's overnight-gap adjustment is not applied; instead a pair
 *   whose candles are not adjacent in time (a gap in the data) is skipped. Two identical
 *   candles with H/L = r give exactly S = 2 (r - 1) / (r + 1) = range / mid price.
 * - tier: high if avg_quote_volume >= tier_high_quote_volume, medium if >= tier_medium_quote_volume,
 *   else low.
 * - category: the instrument's category, unchanged.
 *
 * Fewer than `lookback` candles, or no adjacent pair among them, throws "not enough data": a tier
 * from a handful of candles would be a guess that downstream filters would trust.
 */
export const manifest = defineManifest({
  module_id: 'instrument_intelligence_v1',
  version: '1.0.0',
  logic_type: 'context',
  description:
    'Liquidity of the instrument: average quote volume, Corwin-Schultz high-low spread proxy, tier by quote-volume thresholds, and its category.',
  input_keys: ['candles', 'instrument'],
  output_keys: ['liquidity'],
  params: z
    .object({
      lookback: z
        .number()
        .int()
        .min(2)
        .max(5000)
        .default(24)
        .describe('candles averaged for the quote volume and the spread proxy (the newest ones)'),
      tier_high_quote_volume: z
        .number()
        .nonnegative()
        .default(10_000_000)
        .describe('average quote volume per candle at or above which the tier is high'),
      tier_medium_quote_volume: z
        .number()
        .nonnegative()
        .default(1_000_000)
        .describe('average quote volume per candle at or above which the tier is medium (below it: low)'),
    })
    .strict()
    .refine((p) => p.tier_medium_quote_volume <= p.tier_high_quote_volume, {
      message: 'tier_medium_quote_volume must not exceed tier_high_quote_volume',
      path: ['tier_medium_quote_volume'],
    }),
});

/** Milliseconds of a timeframe like 1m, 15m, 1h, 4h, 1d, 1w; null if not of that form. */
function timeframeMs(tf: string): number | null {
  const m = /^(\d+)([mhdw])$/.exec(tf);
  if (!m) return null;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

const K = 3 - 2 * Math.SQRT2;

/** Corwin-Schultz spread (fraction of price) of two consecutive candles; may be negative. */
export function corwinSchultz(h1: number, l1: number, h2: number, l2: number): number {
  const beta = Math.log(h1 / l1) ** 2 + Math.log(h2 / l2) ** 2;
  const gamma = Math.log(Math.max(h1, h2) / Math.min(l1, l2)) ** 2;
  const alpha = (Math.sqrt(2 * beta) - Math.sqrt(beta)) / K - Math.sqrt(gamma / K);
  const e = Math.exp(alpha);
  return (2 * (e - 1)) / (1 + e);
}

const money = (x: number) => Math.round(x).toLocaleString('en-US');

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const c = view.candles;
  const n = c.close.length;
  const L = params.lookback;
  if (n < L) throw new Error(`not enough data: need ${L} candles, have ${n}`);
  const from = n - L;

  let quoteSum = 0;
  for (let i = from; i < n; i++) quoteSum += c.close[i]! * c.volume[i]!;
  const avgQuote = quoteSum / L;

  const step = timeframeMs(c.timeframe);
  let pairs = 0;
  let skipped = 0;
  let clamped = 0;
  let spreadSum = 0;
  for (let i = from; i < n - 1; i++) {
    if (step !== null && c.ts[i + 1]! - c.ts[i]! !== step) {
      skipped++;
      continue;
    }
    const s = corwinSchultz(c.high[i]!, c.low[i]!, c.high[i + 1]!, c.low[i + 1]!);
    if (s < 0) clamped++;
    spreadSum += Math.max(0, s);
    pairs++;
  }
  if (pairs === 0) {
    throw new Error(
      `not enough data: need 2 adjacent candles for the spread proxy, have 0 adjacent pairs among the last ${L} (${skipped} pairs span a gap)`,
    );
  }
  const spreadPct = (100 * spreadSum) / pairs;

  const tier: 'high' | 'medium' | 'low' =
    avgQuote >= params.tier_high_quote_volume ? 'high' : avgQuote >= params.tier_medium_quote_volume ? 'medium' : 'low';
  const tierWhy =
    tier === 'high'
      ? `>= ${money(params.tier_high_quote_volume)}`
      : tier === 'medium'
        ? `>= ${money(params.tier_medium_quote_volume)} and < ${money(params.tier_high_quote_volume)}`
        : `< ${money(params.tier_medium_quote_volume)}`;
  const category = view.instrument.category;

  return {
    outputs: { liquidity: { avg_quote_volume: avgQuote, spread_proxy_pct: spreadPct, tier, category } },
    rationale:
      `Average quote volume ${money(avgQuote)} ${c.symbol.split('/')[1] ?? ''} per ${c.timeframe} candle over the last ${L} candles: tier ${tier} (${tierWhy}). ` +
      `Corwin-Schultz spread proxy ${spreadPct.toFixed(4)}% = mean of ${pairs} adjacent-candle estimates` +
      `${clamped > 0 ? `, ${clamped} negative set to 0` : ''}${skipped > 0 ? `, ${skipped} pairs across a data gap skipped` : ''}. ` +
      `Category ${category} (from the instrument).`,
  };
};
