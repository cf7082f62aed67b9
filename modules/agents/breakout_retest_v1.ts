import {
  adxScore,
  agentParams,
  blendHalves,
  defineManifest,
  fixed as f,
  type ModulePrepare,
  type ModuleRun,
  noSignal,
  notEnoughData,
  priorHighest,
  priorLowest,
  px,
  riskAndTargetsValid,
  rMultiplesText,
  rTargets,
  sortedR,
  z,
} from '../../sdk/index.ts';

/**
 * Breakout-and-retest on the last closed candle.
 *
 * Breakout: a candle `b` among the `max_bars_since_breakout` candles before the last one closed
 * above the highest high (long) / below the lowest low (short) of the `lookback` candles before
 * it. The broken level is that channel side. The most recent such breakout is used.
 *
 * Retest (long; short mirrors): after the breakout (candles b+1 .. last) the lowest low came
 * back to the level, within `retest_tolerance_atr` x ATR of it on either side (a low further
 * below means the breakout failed, one further above means no retest yet), and the last candle
 * closes back in the breakout direction: close > open and close > level.
 *
 * Entry = last close. Stop = retest low - stop_atr_mult x ATR (ATR = volatility.atr). R = entry
 * - stop; targets = entry + r x R for each r in `targets_r` (sorted); rr = the first r. With
 * `with_trend_only` a long needs market_state.trend 'up' (a short 'down').
 *
 * confidence = 0.5 x min(1, ADX / full_adx) + 0.5 x (1 - |retest low - level| / (tolerance x ATR)),
 * i.e. half trend strength, half how precisely the retest tagged the level. Clamped to 0..1.
 *
 * The channel before every candle is prepared once over the series (`prepare`); `run` reads it
 * at the candles of the breakout window.
 */
export const manifest = defineManifest({
  module_id: 'breakout_retest_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description:
    'Signals when a recent close beyond the prior N-candle channel is retested (pullback to the broken level within an ATR tolerance) and the last candle closes back in the breakout direction; stop beyond the retest extreme by an ATR fraction.',
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
        .describe('candles before the breakout candle that form the channel'),
      max_bars_since_breakout: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(10)
        .describe('the breakout close must be among this many candles before the last one'),
      retest_tolerance_atr: z
        .number()
        .positive()
        .max(5)
        .default(0.25)
        .describe('the pullback extreme must come within this many ATRs of the broken level (either side)'),
      stop_atr_mult: z
        .number()
        .min(0)
        .max(10)
        .default(0.25)
        .describe('stop distance beyond the retest low (high for shorts), in ATRs'),
      targets_r: agentParams.targetsR(),
      allow_short: z
        .boolean()
        .default(false)
        .describe('also signal short breakdown retests (off by default: a spot account cannot short)'),
      with_trend_only: z
        .boolean()
        .default(true)
        .describe('only signal in the direction of market_state.trend (long needs up, short needs down)'),
      full_adx: agentParams.fullAdx(),
    })
    .strict(),
});

type Signal = {
  direction: 'long' | 'short';
  setup: string;
  entry: number;
  stop: number;
  targets: number[];
  rr: number;
  confidence: number;
};

/** Candles needed: the channel before the oldest allowed breakout candle, the breakout window and the last candle. */
export function requiredCandles(p: { lookback: number; max_bars_since_breakout: number }): number {
  return p.lookback + p.max_bars_since_breakout + 1;
}

/** The channel high and low before every candle (its `lookback` predecessors), prepared once over the series. */
export const prepare: ModulePrepare<typeof manifest, 'channel_high' | 'channel_low'> = (series, params) => ({
  channel_high: priorHighest(series.high, params.lookback),
  channel_low: priorLowest(series.low, params.lookback),
});

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, sdk, prepared) => {
  const { open, high, low, close } = view.candles;
  const n = close.length;
  const need = requiredCandles(params);
  if (n < need)
    return noSignal(
      notEnoughData(
        need,
        n,
        `channel ${params.lookback} + breakout window ${params.max_bars_since_breakout} + the last candle`,
      ),
    );
  const last = n - 1;
  const atr = view.volatility.atr;
  const { trend, adx } = view.market_state;
  if (!(atr > 0)) {
    return noSignal(`ATR is ${atr}, so no retest tolerance or ATR stop can be set`);
  }
  const tol = params.retest_tolerance_atr * atr;
  const rs = sortedR(params.targets_r);
  const signals: Signal[] = [];
  const notes: string[] = [];

  for (const direction of ['long', 'short'] as const) {
    const sign = direction === 'long' ? 1 : -1;
    const sideWord = direction === 'long' ? 'above the high' : 'below the low';
    // most recent breakout candle in the window
    let b = -1;
    let level = Number.NaN;
    for (let i = last - 1; i >= last - params.max_bars_since_breakout; i--) {
      const lv = prepared.at(direction === 'long' ? 'channel_high' : 'channel_low', last - i);
      if (direction === 'long' ? close[i]! > lv : close[i]! < lv) {
        b = i;
        level = lv;
        break;
      }
    }
    if (b < 0) {
      notes.push(
        `${direction}: no close ${sideWord} of the prior ${params.lookback}-candle channel in the last ${params.max_bars_since_breakout} candles`,
      );
      continue;
    }
    const ago = last - b;
    const seen = `${direction}: close ${px(close[b]!)} ${ago} candle${ago === 1 ? '' : 's'} ago broke ${sideWord} ${px(level)}`;
    // retest extreme after the breakout, including the last candle
    const extreme =
      direction === 'long'
        ? sdk.indicators.lowest(low, b + 1, last + 1)
        : sdk.indicators.highest(high, b + 1, last + 1);
    const gap = sign * (extreme - level); // > 0: pullback stayed on the breakout side
    const extWord = direction === 'long' ? 'retest low' : 'retest high';
    if (gap > tol) {
      notes.push(
        `${seen}, but the ${extWord} ${px(extreme)} stayed ${px(gap)} (${f(gap / atr)} ATR) away from it, more than the ${params.retest_tolerance_atr} ATR tolerance (no retest yet)`,
      );
      continue;
    }
    if (gap < -tol) {
      notes.push(
        `${seen}, but the ${extWord} ${px(extreme)} went ${px(-gap)} (${f(-gap / atr)} ATR) back through it, beyond the ${params.retest_tolerance_atr} ATR tolerance (failed breakout)`,
      );
      continue;
    }
    const c = close[last]!;
    const o = open[last]!;
    const confirms = direction === 'long' ? c > o && c > level : c < o && c < level;
    if (!confirms) {
      const want =
        direction === 'long' ? 'close above its open and above the level' : 'close below its open and below the level';
      notes.push(
        `${seen} and the ${extWord} ${px(extreme)} retested it (${f(gap / atr)} ATR), but the last candle (open ${px(o)}, close ${px(c)}) does not ${want}`,
      );
      continue;
    }
    if (direction === 'short' && !params.allow_short) {
      notes.push(`${seen} and was retested, but short signals are disabled (allow_short false)`);
      continue;
    }
    const wanted = direction === 'long' ? 'up' : 'down';
    if (params.with_trend_only && trend !== wanted) {
      notes.push(
        `${seen} and was retested, but the trend is ${trend} and with_trend_only needs ${wanted} for a ${direction}`,
      );
      continue;
    }
    const stop = extreme - sign * params.stop_atr_mult * atr;
    const risk = sign * (c - stop);
    const targets = rTargets(c, sign, risk, rs);
    if (!riskAndTargetsValid(risk, stop, targets)) {
      notes.push(
        `${seen} and was retested, but the stop ${px(stop)} does not give a positive risk and positive targets from entry ${px(c)}`,
      );
      continue;
    }
    const confidence = blendHalves(adxScore(adx, params.full_adx), 1 - Math.abs(gap) / tol);
    signals.push({
      direction,
      setup: `breakout_retest_${params.lookback}`,
      entry: c,
      stop,
      targets,
      rr: rs[0]!,
      confidence,
    });
    notes.push(
      `${seen}, the ${extWord} ${px(extreme)} retested it (${f(gap / atr)} ATR, tolerance ${params.retest_tolerance_atr}) and the last candle closed ${px(c)} back ${direction === 'long' ? 'up' : 'down'}: ` +
        `${direction} entry ${px(c)}, stop ${px(stop)} = ${extWord} ${sign > 0 ? '-' : '+'} ${params.stop_atr_mult} x ATR ${px(atr)} (R ${px(risk)}), ` +
        `targets ${targets.map(px).join(', ')} at ${rMultiplesText(rs)}, rr ${rs[0]}, confidence ${f(confidence)} (ADX ${f(adx)}/${params.full_adx})`,
    );
  }
  const head = signals.length > 0 ? 'Breakout retest' : 'No signal';
  return { outputs: { signals }, rationale: `${head}: ${notes.join('; ')}.` };
};
