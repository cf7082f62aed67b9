import {
  blendHalves,
  column,
  columnOf,
  defineManifest,
  indicators,
  type ModulePrepare,
  fixed as f,
  type ModuleRun,
  noSignal as none,
  notEnoughData,
  px,
  riskAndTargetsValid,
  type Values,
  z,
} from '../../sdk/index.ts';

/**
 * Bollinger Band + RSI mean reversion on the last closed candle.
 *
 * Bands: middle = SMA(bb_period) of the closes (sdk sma); sd = POPULATION standard deviation of
 * the same `bb_period` closes, sqrt(sum((x - middle)^2) / bb_period) (divide by N, not N - 1, as
 * in Bollinger's definition); upper/lower = middle +/- bb_std x sd.
 *
 * Long (short mirrors, only with `allow_short`): last close < lower band AND RSI(rsi_period) <
 * `oversold`, in a ranging regime (market_state.regime 'ranging', unless `any_regime`).
 * Entry = last close; stop = last candle's low - stop_atr_mult x ATR(atr_period) (stop_mode
 * 'atr', ATR computed here from the candles) or low x (1 - stop_pct / 100) (stop_mode 'pct').
 * Targets = [middle band, upper band]; rr = (middle - entry) / (entry - stop); skipped when
 * rr < `min_rr`.
 *
 * confidence = 0.5 x min(1, depth / 0.5) + 0.5 x min(1, (oversold - RSI) / 10), where depth is
 * how far the close is beyond the band in standard deviations (full at 0.5 sd) and the RSI part
 * is full 10 points past the threshold. Clamped to 0..1.
 */
export const manifest = defineManifest({
  module_id: 'mean_reversion_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description:
    'Signals a long when the close is below the lower Bollinger Band with RSI oversold in a ranging market; targets the middle then the upper band, stop below the candle low.',
  input_keys: ['candles', 'market_state'],
  output_keys: ['signals'],
  params: z
    .object({
      bb_period: z
        .number()
        .int()
        .min(2)
        .max(500)
        .default(20)
        .describe('closes in the Bollinger moving average and standard deviation'),
      bb_std: z.number().positive().max(10).default(2).describe('band width in population standard deviations'),
      rsi_period: z.number().int().min(2).max(200).default(14).describe('period of the RSI'),
      oversold: z.number().min(0).max(100).default(30).describe('RSI below which a long is allowed'),
      overbought: z.number().min(0).max(100).default(70).describe('RSI above which a short is allowed'),
      any_regime: z
        .boolean()
        .default(false)
        .describe('ignore market_state.regime (by default only a ranging regime qualifies)'),
      stop_mode: z
        .enum(['atr', 'pct'])
        .default('atr')
        .describe("'atr': stop = low - stop_atr_mult x ATR; 'pct': stop = low x (1 - stop_pct/100)"),
      stop_atr_mult: z
        .number()
        .min(0)
        .max(10)
        .default(0.5)
        .describe('ATR fraction beyond the candle low (high for shorts), stop_mode atr'),
      atr_period: z
        .number()
        .int()
        .min(2)
        .max(200)
        .default(14)
        .describe('period of the Wilder ATR used by stop_mode atr'),
      stop_pct: z
        .number()
        .min(0)
        .max(50)
        .default(0.5)
        .describe('percent beyond the candle low (high for shorts), stop_mode pct'),
      min_rr: z
        .number()
        .min(0)
        .max(50)
        .default(1)
        .describe('skip the signal when reward:risk to the middle band is below this'),
      allow_short: z
        .boolean()
        .default(false)
        .describe('also signal shorts above the upper band with RSI overbought (off by default: spot)'),
    })
    .strict()
    .refine((p) => p.oversold < p.overbought, { message: 'oversold must be below overbought', path: ['oversold'] }),
});

/** Bollinger Bands of the last `period` values: SMA middle, population standard deviation. */
export function bollinger(values: Values, period: number, k: number, sma: (v: Values, p: number) => number[]) {
  const window = values.slice(values.length - period);
  const middle = sma(window, period).at(-1)!;
  let squares = 0;
  for (let i = 0; i < window.length; i++) squares += (window[i]! - middle) ** 2;
  const sd = Math.sqrt(squares / period);
  return { middle, sd, upper: middle + k * sd, lower: middle - k * sd };
}

export function requiredCandles(p: {
  bb_period: number;
  rsi_period: number;
  atr_period: number;
  stop_mode: 'atr' | 'pct';
}): number {
  return Math.max(p.bb_period, p.rsi_period + 1, p.stop_mode === 'atr' ? p.atr_period + 1 : 0);
}

/** The bands' middle and width, the RSI and the ATR at every bar, prepared once over the series. */
export const prepare: ModulePrepare<typeof manifest, 'bb_middle' | 'bb_sd' | 'rsi' | 'atr'> = (series, params) => {
  const p = params.bb_period;
  const bands = (i: number) =>
    i >= p - 1 ? bollinger(series.close.subarray(i - p + 1, i + 1), p, params.bb_std, indicators.sma) : null;
  const all = Array.from({ length: series.length }, (_, i) => bands(i));
  return {
    bb_middle: columnOf(series.length, (i) => all[i]?.middle ?? Number.NaN),
    bb_sd: columnOf(series.length, (i) => all[i]?.sd ?? Number.NaN),
    rsi: column(indicators.rsi(series.close, params.rsi_period)),
    atr: column(indicators.atr(series, params.atr_period)),
  };
};

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, _sdk, prepared) => {
  const { high, low, close } = view.candles;
  const n = close.length;
  const need = requiredCandles(params);
  if (n < need)
    return none(
      notEnoughData(
        need,
        n,
        `Bollinger ${params.bb_period}, RSI ${params.rsi_period} + 1${params.stop_mode === 'atr' ? `, ATR ${params.atr_period} + 1` : ''}`,
      ),
    );
  const last = n - 1;
  const c = close[last]!;
  const middle = prepared.at('bb_middle');
  const sd = prepared.at('bb_sd');
  const bb = { middle, sd, upper: middle + params.bb_std * sd, lower: middle - params.bb_std * sd };
  const rsi = prepared.at('rsi');
  const bands = `BB(${params.bb_period}, ${params.bb_std}) ${px(bb.lower)} / ${px(bb.middle)} / ${px(bb.upper)} (sd ${px(bb.sd)})`;
  if (!Number.isFinite(rsi) || !Number.isFinite(bb.sd))
    return none(`RSI ${rsi} or band width ${bb.sd} is not a number`);

  let direction: 'long' | 'short';
  if (c < bb.lower) direction = 'long';
  else if (c > bb.upper) direction = 'short';
  else return none(`close ${px(c)} is inside ${bands}, RSI(${params.rsi_period}) ${f(rsi)}`);

  const long = direction === 'long';
  const sign = long ? 1 : -1;
  const band = long ? bb.lower : bb.upper;
  const seen = `close ${px(c)} is ${px(Math.abs(c - band))} ${long ? 'below the lower' : 'above the upper'} band of ${bands}, RSI(${params.rsi_period}) ${f(rsi)}`;
  const rsiOk = long ? rsi < params.oversold : rsi > params.overbought;
  if (!rsiOk) {
    return none(
      `${seen} is not ${long ? `below oversold ${params.oversold}` : `above overbought ${params.overbought}`}`,
    );
  }
  const regime = view.market_state.regime;
  if (!params.any_regime && regime !== 'ranging') {
    return none(`${seen}, but the regime is ${regime} and mean reversion needs ranging (any_regime false)`);
  }
  if (!long && !params.allow_short)
    return none(`${seen}: a short setup, but short signals are disabled (allow_short false)`);

  const extreme = long ? low[last]! : high[last]!;
  let stop: number;
  let how: string;
  if (params.stop_mode === 'atr') {
    const atr = prepared.at('atr');
    if (!(atr > 0)) return none(`${seen}, but ATR(${params.atr_period}) is ${atr}, so no ATR stop can be placed`);
    stop = extreme - sign * params.stop_atr_mult * atr;
    how = `${long ? 'low' : 'high'} ${px(extreme)} ${long ? '-' : '+'} ${params.stop_atr_mult} x ATR(${params.atr_period}) ${px(atr)}`;
  } else {
    stop = extreme * (1 - (sign * params.stop_pct) / 100);
    how = `${long ? 'low' : 'high'} ${px(extreme)} ${long ? '-' : '+'} ${params.stop_pct}%`;
  }
  const targets = long ? [bb.middle, bb.upper] : [bb.middle, bb.lower];
  const risk = sign * (c - stop);
  if (!riskAndTargetsValid(risk, stop, targets)) {
    return none(`${seen}, but the stop ${px(stop)} (${how}) or a target is not a usable price`);
  }
  const rr = (sign * (targets[0]! - c)) / risk;
  if (rr < params.min_rr) {
    return none(
      `${seen}, but reward:risk to the middle band is ${f(rr)} (reward ${px(sign * (targets[0]! - c))}, risk ${px(risk)} to stop ${px(stop)}), below min_rr ${params.min_rr}`,
    );
  }
  const depthSd = bb.sd > 0 ? Math.abs(c - band) / bb.sd : 0;
  const rsiPast = long ? params.oversold - rsi : rsi - params.overbought;
  const confidence = blendHalves(Math.min(1, depthSd / 0.5), Math.min(1, rsiPast / 10));
  return {
    outputs: {
      signals: [{ direction, setup: `bb_rsi_mean_reversion`, entry: c, stop, targets, rr, confidence }],
    },
    rationale:
      `Mean reversion ${direction}: ${seen} ${long ? `< ${params.oversold}` : `> ${params.overbought}`}, regime ${regime}. Entry ${px(c)}, stop ${px(stop)} = ${how} ` +
      `(R ${px(risk)}), targets middle ${px(targets[0]!)} and ${long ? 'upper' : 'lower'} band ${px(targets[1]!)}, rr ${f(rr)} >= min_rr ${params.min_rr}. ` +
      `Confidence ${f(confidence)} from ${f(depthSd)} sd beyond the band and RSI ${f(rsiPast)} points past the threshold.`,
  };
};
