import {
  adxScore,
  agentParams,
  blendHalves,
  column,
  defineManifest,
  indicators,
  type ModulePrepare,
  fixed as f,
  type ModuleRun,
  noSignal as none,
  notEnoughData,
  px,
  riskAndTargetsValid,
  rMultiplesText,
  rTargets,
  sortedR,
  z,
} from '../../sdk/index.ts';

/**
 * Trend pullback to the fast EMA, on the last closed candle.
 *
 * Long (short mirrors, only with `allow_short`): market_state.trend is 'up'; among the last
 * `pullback_bars` candles (the last one included) at least one low came within
 * `touch_tolerance_atr` x ATR of that candle's EMA(ema_period) (either side: a tag or a shallow
 * pierce); RSI(rsi_period) stayed at or above `rsi_floor` on every one of those candles (the
 * pullback did not break momentum; a short needs RSI <= 100 - rsi_floor); and the last candle
 * closes up: close > open and close > its EMA.
 *
 * Entry = last close. Stop = lowest low of the pullback window - stop_atr_mult x ATR
 * (volatility.atr). R = entry - stop; targets = entry + r x R for each r in `targets_r`
 * (sorted); rr = the first r.
 *
 * confidence = 0.5 x min(1, ADX / full_adx) + 0.5 x (1 - |best low - EMA| / (tolerance x ATR)):
 * half trend strength, half how cleanly the pullback tagged the EMA. Clamped to 0..1.
 */
export const manifest = defineManifest({
  module_id: 'trend_pullback_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description:
    'Signals a long in an uptrend when price pulls back to the fast EMA with RSI holding above a floor and the last candle closes up; stop below the pullback low minus an ATR fraction.',
  input_keys: ['candles', 'market_state', 'volatility'],
  output_keys: ['signals'],
  params: z
    .object({
      ema_period: z
        .number()
        .int()
        .min(2)
        .max(500)
        .default(20)
        .describe('period of the fast EMA the pullback must reach'),
      pullback_bars: z
        .number()
        .int()
        .min(1)
        .max(20)
        .default(3)
        .describe(
          'candles (ending with the last one) in which the EMA touch may happen; also the window for the pullback low',
        ),
      touch_tolerance_atr: z
        .number()
        .positive()
        .max(5)
        .default(0.2)
        .describe('a low within this many ATRs of its EMA (either side) counts as touching it'),
      rsi_period: z.number().int().min(2).max(200).default(14).describe('period of the RSI'),
      rsi_floor: z
        .number()
        .min(0)
        .max(100)
        .default(40)
        .describe('RSI must stay at or above this during the pullback (shorts: at or below 100 - floor)'),
      stop_atr_mult: z
        .number()
        .min(0)
        .max(10)
        .default(0.25)
        .describe('stop distance below the pullback low (above the high for shorts), in ATRs'),
      targets_r: agentParams.targetsR(),
      allow_short: z
        .boolean()
        .default(false)
        .describe('also signal rallies to the EMA in a downtrend (off by default: spot)'),
      full_adx: agentParams.fullAdx(),
    })
    .strict(),
});

/** Candles needed for a defined EMA and RSI on every candle of the pullback window. */
export function requiredCandles(p: { ema_period: number; rsi_period: number; pullback_bars: number }): number {
  return Math.max(p.ema_period, p.rsi_period + 1) + p.pullback_bars - 1;
}

/** The EMA and the RSI at every bar, prepared once over the series. */
export const prepare: ModulePrepare<typeof manifest, 'ema' | 'rsi'> = (series, params) => ({
  ema: column(indicators.ema(series.close, params.ema_period)),
  rsi: column(indicators.rsi(series.close, params.rsi_period)),
});

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, sdk, prepared) => {
  const { open, high, low, close } = view.candles;
  const n = close.length;
  const need = requiredCandles(params);
  if (n < need)
    return none(
      notEnoughData(
        need,
        n,
        `EMA ${params.ema_period}, RSI ${params.rsi_period} + 1, pullback window ${params.pullback_bars}`,
      ),
    );
  const { trend, adx } = view.market_state;
  const direction = trend === 'up' ? 'long' : trend === 'down' ? 'short' : null;
  if (direction === null)
    return none(`the trend is ${trend}; a pullback entry needs an up (or, for shorts, down) trend`);
  const atr = view.volatility.atr;
  if (!(atr > 0)) return none(`ATR is ${atr}, so no touch tolerance or ATR stop can be set`);

  const long = direction === 'long';
  const sign = long ? 1 : -1;
  const last = n - 1;
  const from = n - params.pullback_bars;
  const ema = (i: number) => prepared.at('ema', last - i);
  const tol = params.touch_tolerance_atr * atr;
  const edge = long ? low : high;
  // closest approach of the low (high for shorts) to the EMA in the window
  let best = Number.POSITIVE_INFINITY;
  let bestAt = -1;
  for (let i = from; i <= last; i++) {
    const d = Math.abs(edge[i]! - ema(i));
    if (d < best) {
      best = d;
      bestAt = i;
    }
  }
  // Math.min / Math.max over the window, one value at a time (NaN anywhere gives NaN, as the spread form does).
  let rsiExtreme = long ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (let i = from; i <= last; i++)
    rsiExtreme = long
      ? Math.min(rsiExtreme, prepared.at('rsi', last - i))
      : Math.max(rsiExtreme, prepared.at('rsi', last - i));
  const c = close[last]!;
  const o = open[last]!;
  const emaLast = ema(last);
  if (!Number.isFinite(best) || !Number.isFinite(rsiExtreme) || !Number.isFinite(emaLast))
    return none('EMA or RSI is not a number');
  const bars = `the last ${params.pullback_bars} candle${params.pullback_bars === 1 ? '' : 's'}`;
  const what = long ? 'low' : 'high';
  const seen = `trend ${trend}, closest ${what} ${px(edge[bestAt]!)} was ${px(best)} (${f(best / atr)} ATR) from EMA(${params.ema_period}) ${px(ema(bestAt))} ${last - bestAt} candle${last - bestAt === 1 ? '' : 's'} ago`;
  if (best > tol)
    return none(
      `${seen}, more than the ${params.touch_tolerance_atr} ATR touch tolerance in ${bars} (no pullback to the EMA)`,
    );
  const floor = long ? params.rsi_floor : 100 - params.rsi_floor;
  if (long ? rsiExtreme < floor : rsiExtreme > floor) {
    return none(
      `${seen}, but RSI(${params.rsi_period}) reached ${f(rsiExtreme)} in ${bars}, ${long ? 'below the floor' : 'above the ceiling'} ${floor} (momentum broke)`,
    );
  }
  const confirms = long ? c > o && c > emaLast : c < o && c < emaLast;
  if (!confirms) {
    return none(
      `${seen}, but the last candle (open ${px(o)}, close ${px(c)}, EMA ${px(emaLast)}) does not close ${long ? 'up above' : 'down below'} the EMA`,
    );
  }
  if (!long && !params.allow_short)
    return none(`${seen}: a short pullback setup, but short signals are disabled (allow_short false)`);

  const extreme = long ? sdk.indicators.lowest(low, from, n) : sdk.indicators.highest(high, from, n);
  const stop = extreme - sign * params.stop_atr_mult * atr;
  const risk = sign * (c - stop);
  const rs = sortedR(params.targets_r);
  const targets = rTargets(c, sign, risk, rs);
  if (!riskAndTargetsValid(risk, stop, targets)) {
    return none(
      `${seen}, but the stop ${px(stop)} does not give a positive risk and positive targets from entry ${px(c)}`,
    );
  }
  const confidence = blendHalves(adxScore(adx, params.full_adx), 1 - best / tol);
  return {
    outputs: {
      signals: [
        { direction, setup: `ema${params.ema_period}_pullback`, entry: c, stop, targets, rr: rs[0]!, confidence },
      ],
    },
    rationale:
      `Trend pullback ${direction}: ${seen} (tolerance ${params.touch_tolerance_atr} ATR), RSI(${params.rsi_period}) ${long ? 'low' : 'high'} ${f(rsiExtreme)} ${long ? '>=' : '<='} ${floor}, ` +
      `last candle closed ${long ? 'up' : 'down'} ${px(o)} -> ${px(c)} vs EMA ${px(emaLast)}. Entry ${px(c)}, stop ${px(stop)} = pullback ${what} ${px(extreme)} ${long ? '-' : '+'} ${params.stop_atr_mult} x ATR ${px(atr)} ` +
      `(R ${px(risk)}), targets ${targets.map(px).join(', ')} at ${rMultiplesText(rs)}, rr ${rs[0]}. Confidence ${f(confidence)} (ADX ${f(adx)}/${params.full_adx}).`,
  };
};
