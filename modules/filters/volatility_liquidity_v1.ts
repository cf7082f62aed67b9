import { defineManifest, windowMean, z, type ModulePrepare, type ModuleRun } from '../../sdk/index.ts';

/**
 * One verdict per symbol. Blocks when the candles are unhealthy (data_health.ok false), when
 * ATR% lies outside [min_atr_pct, max_atr_pct] (too quiet to pay costs, or too wild to size),
 * or when the mean quote volume (close x volume) of the last `volume_lookback` candles is below
 * `min_avg_quote_volume`, or there are fewer candles than that to judge it. Every failed check
 * is named in the one reason; otherwise the verdict allows and states the figures.
 *
 * The mean quote volume is prepared once over the series (`prepare`); `run` reads it at the
 * decision bar.
 */
export const manifest = defineManifest({
  module_id: 'volatility_liquidity_v1',
  version: '1.0.0',
  logic_type: 'filter',
  description:
    'Blocks a symbol with unhealthy data, ATR% outside a tradable range, or too little average quote volume.',
  input_keys: ['volatility', 'candles', 'data_health'],
  output_keys: ['filter_verdicts'],
  params: z
    .object({
      min_atr_pct: z
        .number()
        .min(0)
        .max(100)
        .default(0.15)
        .describe('lowest ATR% (ATR / close x 100) worth trading; below it moves do not cover costs'),
      max_atr_pct: z
        .number()
        .min(0)
        .max(100)
        .default(3)
        .describe('highest ATR% accepted; above it stops are too wide or fills too erratic'),
      volume_lookback: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(24)
        .describe('number of most recent candles whose quote volume is averaged'),
      min_avg_quote_volume: z
        .number()
        .min(0)
        .default(1_000_000)
        .describe('minimum mean quote volume per candle (close x volume, in quote currency, e.g. USDT)'),
    })
    .strict()
    .refine((p) => p.min_atr_pct <= p.max_atr_pct, {
      message: 'min_atr_pct must not exceed max_atr_pct',
      path: ['min_atr_pct'],
    }),
});

/** 1234567.8 -> '1,234,568' (no locale APIs: the output must not depend on the runtime's ICU data). */
const money = (x: number) => String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The mean quote volume (close x volume) of the `volume_lookback` candles ending at every bar. */
export const prepare: ModulePrepare<typeof manifest, 'avg_quote_volume'> = (series, params) => ({
  avg_quote_volume: windowMean(series.length, params.volume_lookback, (j) => series.close[j]! * series.volume[j]!),
});

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, _sdk, prepared) => {
  const problems: string[] = [];
  const figures: string[] = [];
  const health = view.data_health;
  if (!health.ok) {
    const issues = health.issues.length > 0 ? health.issues.join('; ') : 'no issue text given';
    problems.push(`data health not ok (${issues})`);
  }

  const atrPct = view.volatility.atr_pct;
  const atrRange = `[${params.min_atr_pct}%, ${params.max_atr_pct}%]`;
  if (atrPct < params.min_atr_pct || atrPct > params.max_atr_pct) {
    problems.push(`ATR ${atrPct.toFixed(3)}% outside ${atrRange}`);
  } else {
    figures.push(`ATR ${atrPct.toFixed(3)}% within ${atrRange}`);
  }

  const n = view.candles.close.length;
  const lookback = params.volume_lookback;
  if (n < lookback) {
    problems.push(`only ${n} candles, need ${lookback} to judge average quote volume`);
  } else {
    const avg = prepared.at('avg_quote_volume');
    const text = `average quote volume ${money(avg)} over the last ${lookback} candles`;
    if (avg < params.min_avg_quote_volume) problems.push(`${text} below minimum ${money(params.min_avg_quote_volume)}`);
    else figures.push(`${text} >= minimum ${money(params.min_avg_quote_volume)}`);
  }

  const allow = problems.length === 0;
  const reason = allow ? `allow: ${figures.join('; ')}` : `block: ${problems.join('; ')}`;
  return {
    outputs: { filter_verdicts: [{ allow, reason }] },
    rationale: allow
      ? `All checks pass: ${figures.join('; ')}; data health ok.`
      : `Blocked because ${problems.join('; ')}.${figures.length > 0 ? ` Passed: ${figures.join('; ')}.` : ''}`,
  };
};
