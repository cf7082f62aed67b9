import { column, defineManifest, indicators, z, type ModulePrepare, type ModuleRun } from '../../sdk/index.ts';

/**
 * Trend and volatility context from the run timeframe's closed candles.
 *
 * - volatility: Wilder ATR(atr_period) of the last candle, ATR as % of the last close, and a
 *   band: low below `band_low_atr_pct`, high above `band_high_atr_pct`, else normal.
 * - market_state: EMA(ema_fast) vs EMA(ema_slow) and the slow EMA's % change over
 *   `slope_lookback` candles give the trend (up needs fast > slow AND slope >= +min_slope_pct,
 *   down the mirror, anything else is flat). The regime is `volatile` when ATR% >=
 *   `volatile_atr_pct` (checked first: extreme volatility matters more than direction for
 *   risk), else `trending` when ADX >= `trending_adx`, else `ranging`.
 *
 * The EMAs, ATR and ADX are prepared once over the series (`prepare`); `run` reads them at the
 * decision bar.
 *
 * Too little history throws "not enough data: need N candles, have M": a context module must
 * write both its value keys, so the orchestrator's on_error policy (skip_symbol by default)
 * decides, instead of downstream modules reading a silently missing or made-up value.
 */
export const manifest = defineManifest({
  module_id: 'trend_volatility_v1',
  version: '1.0.0',
  logic_type: 'context',
  description:
    'Derives trend (EMA fast/slow and slow-EMA slope), regime (ADX, ATR%) and volatility (ATR, ATR%, band) from the candles.',
  input_keys: ['candles'],
  output_keys: ['market_state', 'volatility'],
  params: z
    .object({
      ema_fast: z.number().int().min(2).max(500).default(20).describe('period of the fast EMA'),
      ema_slow: z.number().int().min(3).max(1000).default(50).describe('period of the slow EMA; must exceed ema_fast'),
      adx_period: z.number().int().min(2).max(200).default(14).describe('period of the ADX (needs 2 x period candles)'),
      atr_period: z.number().int().min(2).max(200).default(14).describe('period of the Wilder ATR'),
      slope_lookback: z
        .number()
        .int()
        .min(1)
        .max(500)
        .default(10)
        .describe('candles over which the slow EMA slope (percent change) is measured'),
      min_slope_pct: z
        .number()
        .min(0)
        .max(100)
        .default(0.1)
        .describe('minimum absolute slow-EMA slope, in percent over the lookback, for an up or down trend'),
      trending_adx: z.number().min(0).max(100).default(25).describe('ADX at or above which the regime is trending'),
      band_low_atr_pct: z.number().min(0).max(100).default(0.4).describe('ATR% below which the volatility band is low'),
      band_high_atr_pct: z
        .number()
        .min(0)
        .max(100)
        .default(1.2)
        .describe('ATR% above which the volatility band is high'),
      volatile_atr_pct: z
        .number()
        .min(0)
        .max(100)
        .default(2)
        .describe('ATR% at or above which the regime is volatile, whatever the ADX'),
    })
    .strict()
    .refine((p) => p.ema_fast < p.ema_slow, { message: 'ema_fast must be smaller than ema_slow', path: ['ema_fast'] })
    .refine((p) => p.band_low_atr_pct <= p.band_high_atr_pct, {
      message: 'band_low_atr_pct must not exceed band_high_atr_pct',
      path: ['band_low_atr_pct'],
    }),
});

/** Candles needed: the slow EMA at the slope's start, the ADX (2 x period) and the ATR (period + 1). */
export function requiredCandles(p: {
  ema_slow: number;
  slope_lookback: number;
  adx_period: number;
  atr_period: number;
}): number {
  return Math.max(p.ema_slow + p.slope_lookback, 2 * p.adx_period, p.atr_period + 1);
}

const fmt = (x: number, d = 2) => x.toFixed(d);

export const prepare: ModulePrepare<typeof manifest, 'ema_fast' | 'ema_slow' | 'atr' | 'adx'> = (series, params) => ({
  ema_fast: column(indicators.ema(series.close, params.ema_fast)),
  ema_slow: column(indicators.ema(series.close, params.ema_slow)),
  atr: column(indicators.atr(series, params.atr_period)),
  adx: column(indicators.adx(series, params.adx_period)),
});

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, _sdk, prepared) => {
  const c = view.candles;
  const n = c.close.length;
  const need = requiredCandles(params);
  if (n < need) {
    throw new Error(
      `not enough data: need ${need} candles, have ${n} (EMA ${params.ema_slow} + slope lookback ${params.slope_lookback}, ADX ${params.adx_period}, ATR ${params.atr_period})`,
    );
  }
  const last = n - 1;
  const close = c.close[last]!;
  const emaFast = prepared.at('ema_fast');
  const emaSlow = prepared.at('ema_slow');
  const emaSlowThen = prepared.at('ema_slow', params.slope_lookback);
  const atr = prepared.at('atr');
  // ADX is 0/0 (NaN) when price never moves: no directional movement means no trend strength.
  const adxRaw = prepared.at('adx');
  const adx = Number.isFinite(adxRaw) ? adxRaw : 0;

  const slopePct = ((emaSlow - emaSlowThen) / emaSlowThen) * 100;
  const atrPct = (atr / close) * 100;

  let trend: 'up' | 'down' | 'flat' = 'flat';
  if (emaFast > emaSlow && slopePct >= params.min_slope_pct) trend = 'up';
  else if (emaFast < emaSlow && slopePct <= -params.min_slope_pct) trend = 'down';

  let regime: 'trending' | 'ranging' | 'volatile' = 'ranging';
  if (atrPct >= params.volatile_atr_pct) regime = 'volatile';
  else if (adx >= params.trending_adx) regime = 'trending';

  let band: 'low' | 'normal' | 'high' = 'normal';
  if (atrPct < params.band_low_atr_pct) band = 'low';
  else if (atrPct > params.band_high_atr_pct) band = 'high';

  const rel = emaFast > emaSlow ? 'above' : emaFast < emaSlow ? 'below' : 'equal to';
  const trendWhy =
    trend === 'flat'
      ? `flat: fast EMA ${rel} slow EMA but |slope| ${fmt(Math.abs(slopePct), 3)}% ${Math.abs(slopePct) >= params.min_slope_pct ? 'points the other way' : `< ${params.min_slope_pct}%`}`
      : `${trend}: fast EMA ${rel} slow EMA and slope ${fmt(slopePct, 3)}% beyond ±${params.min_slope_pct}%`;
  const regimeWhy =
    regime === 'volatile'
      ? `ATR% ${fmt(atrPct, 3)} >= ${params.volatile_atr_pct}`
      : regime === 'trending'
        ? `ADX ${fmt(adx)} >= ${params.trending_adx} and ATR% ${fmt(atrPct, 3)} < ${params.volatile_atr_pct}`
        : `ADX ${fmt(adx)} < ${params.trending_adx} and ATR% ${fmt(atrPct, 3)} < ${params.volatile_atr_pct}`;
  const bandWhy = `band ${band} (low < ${params.band_low_atr_pct}%, high > ${params.band_high_atr_pct}%)`;

  return {
    outputs: {
      market_state: { trend, regime, adx, ema_fast: emaFast, ema_slow: emaSlow, ema_slope_pct: slopePct },
      volatility: { atr, atr_pct: atrPct, band },
    },
    rationale:
      `Trend ${trendWhy} (EMA${params.ema_fast} ${fmt(emaFast)}, EMA${params.ema_slow} ${fmt(emaSlow)}, slope over ${params.slope_lookback} candles). ` +
      `Regime ${regime}: ${regimeWhy}. ATR${params.atr_period} ${fmt(atr)} = ${fmt(atrPct, 3)}% of close ${fmt(close)}, ${bandWhy}.`,
  };
};
