import {
  adxScore,
  agentParams,
  blendHalves,
  defineManifest,
  fixed as f,
  type ModulePrepare,
  type ModuleRun,
  priorHighest,
  priorLowest,
  px,
  rMultiplesText,
  rTargets,
  sortedR,
  z,
} from '../../sdk/index.ts';

/**
 * Donchian-style breakout on the last closed candle.
 *
 * Channel = highest high / lowest low of the `lookback` candles before the last one. A close
 * above the channel high is a long breakout, below the channel low a short one (when
 * `allow_short`). With `with_trend_only`, a long needs market_state.trend 'up' and a short
 * 'down'.
 *
 * Entry = last close. Stop = entry -/+ stop_atr_mult x ATR (volatility.atr). The ATR stop is
 * chosen over the opposite channel side on purpose: the channel width varies a lot with
 * `lookback` and after a long range it can be many ATRs, which would make the risk per unit
 * erratic; the ATR stop keeps it proportional to current volatility. Targets = entry +/-
 * r x R for each r in `targets_r`, where R = |entry - stop|; rr = first target's r.
 *
 * confidence = 0.5 x min(1, breakout_atr / full_strength_atr) + 0.5 x min(1, ADX / full_adx),
 * where breakout_atr is how far the close is beyond the channel, in ATRs. Clamped to 0..1.
 *
 * The channel is prepared once over the series (`prepare`); `run` reads it at the decision bar.
 */
export const manifest = defineManifest({
  module_id: 'breakout_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description:
    'Signals when the last close breaks the highest high or lowest low of the previous N candles, with an ATR stop and R-multiple targets.',
  input_keys: ['candles', 'market_state', 'volatility'],
  output_keys: ['signals'],
  params: z
    .object({
      lookback: z
        .number()
        .int()
        .min(5)
        .max(500)
        .default(20)
        .describe('candles before the last one that form the channel'),
      allow_short: z
        .boolean()
        .default(false)
        .describe('also signal short breakouts below the channel low (off by default: a spot account cannot short)'),
      with_trend_only: z
        .boolean()
        .default(true)
        .describe('only signal in the direction of market_state.trend (long needs up, short needs down)'),
      stop_atr_mult: z.number().positive().max(20).default(1.5).describe('stop distance from entry in ATRs'),
      targets_r: agentParams.targetsR('take-profit targets as multiples of the risk R = |entry - stop|, ascending'),
      full_strength_atr: z
        .number()
        .positive()
        .max(10)
        .default(1)
        .describe('close beyond the channel, in ATRs, that earns the full breakout half of the confidence'),
      full_adx: agentParams.fullAdx(),
    })
    .strict(),
});

/** The channel high and low (the `lookback` candles before each bar), prepared once over the series. */
export const prepare: ModulePrepare<typeof manifest, 'channel_high' | 'channel_low'> = (series, params) => ({
  channel_high: priorHighest(series.high, params.lookback),
  channel_low: priorLowest(series.low, params.lookback),
});

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, _sdk, prepared) => {
  const { close } = view.candles;
  const n = close.length;
  const lookback = params.lookback;
  if (n < lookback + 1) {
    return {
      outputs: { signals: [] },
      rationale: `No signal: not enough data, need ${lookback + 1} candles (channel of ${lookback} plus the breakout candle), have ${n}.`,
    };
  }
  const last = n - 1;
  const price = close[last]!;
  const chHigh = prepared.at('channel_high');
  const chLow = prepared.at('channel_low');
  const atr = view.volatility.atr;
  const { trend, adx } = view.market_state;
  const channel = `${lookback}-candle channel ${px(chLow)}-${px(chHigh)}`;

  let direction: 'long' | 'short' | null = null;
  if (price > chHigh) direction = 'long';
  else if (price < chLow) direction = 'short';

  if (direction === null) {
    const toHigh = ((chHigh - price) / price) * 100;
    const toLow = ((price - chLow) / price) * 100;
    const inAtr = atr > 0 ? ` (${f((chHigh - price) / atr)} and ${f((price - chLow) / atr)} ATR)` : '';
    return {
      outputs: { signals: [] },
      rationale: `No breakout: close ${px(price)} is inside the ${channel}, ${px(chHigh - price)} (${f(toHigh, 3)}%) below the high and ${px(price - chLow)} (${f(toLow, 3)}%) above the low${inAtr}.`,
    };
  }

  const beyond = direction === 'long' ? price - chHigh : chLow - price;
  const side = direction === 'long' ? `above the high ${px(chHigh)}` : `below the low ${px(chLow)}`;
  const seen = `Close ${px(price)} is ${px(beyond)} ${side} of the ${channel}`;
  if (direction === 'short' && !params.allow_short) {
    return { outputs: { signals: [] }, rationale: `${seen}, but short signals are disabled (allow_short false).` };
  }
  const wanted = direction === 'long' ? 'up' : 'down';
  if (params.with_trend_only && trend !== wanted) {
    return {
      outputs: { signals: [] },
      rationale: `${seen}, but the trend is ${trend} and with_trend_only needs ${wanted} for a ${direction}.`,
    };
  }
  if (!(atr > 0)) {
    return { outputs: { signals: [] }, rationale: `${seen}, but ATR is ${atr}, so no ATR stop can be placed.` };
  }

  const sign = direction === 'long' ? 1 : -1;
  const risk = params.stop_atr_mult * atr;
  const stop = price - sign * risk;
  const rs = sortedR(params.targets_r);
  const targets = rTargets(price, sign, risk, rs);
  if (!(stop > 0) || targets.some((t) => !(t > 0))) {
    return {
      outputs: { signals: [] },
      rationale: `${seen}, but the stop ${px(stop)} or a target would not be a positive price (R = ${px(risk)}).`,
    };
  }
  const strengthAtr = beyond / atr;
  const confidence = blendHalves(Math.min(1, strengthAtr / params.full_strength_atr), adxScore(adx, params.full_adx));
  const rr = rs[0]!;
  return {
    outputs: {
      signals: [{ direction, setup: `donchian_${lookback}_breakout`, entry: price, stop, targets, rr, confidence }],
    },
    rationale:
      `${seen} (${f(strengthAtr)} ATR), trend ${trend}: ${direction} breakout. Entry ${px(price)}, stop ${px(stop)} = ` +
      `entry ${sign > 0 ? '-' : '+'} ${params.stop_atr_mult} x ATR ${px(atr)} (R ${px(risk)}), targets ${targets.map((t) => px(t)).join(', ')} ` +
      `at ${rMultiplesText(rs)}, rr ${rr}. Confidence ${f(confidence)} from breakout ${f(strengthAtr)}/${params.full_strength_atr} ATR and ADX ${f(adx)}/${params.full_adx}.`,
  };
};
