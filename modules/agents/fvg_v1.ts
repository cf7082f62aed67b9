import {
  agentParams,
  blendHalves,
  defineManifest,
  fixed as f,
  type ModuleRun,
  noSignal,
  notEnoughData,
  px,
  riskAndTargetsValid,
  rMultiplesText,
  rTargets,
  sortedR,
  z,
} from '../../sdk/index.ts';

/**
 * ICT/SMC fair value gap (FVG) return, on the last closed candle.
 *
 * Bullish FVG at candle i (three-candle imbalance): low[i] > high[i-2]; the gap is
 * bottom = high[i-2] .. top = low[i], and it counts only when top - bottom >=
 * `min_gap_atr` x ATR (ATR = volatility.atr, the current one, so gaps are measured in today's
 * volatility). Gaps are searched with i among the `lookback` candles before the last one.
 * A gap is filled once a later candle's low reaches its bottom.
 *
 * Long (bearish mirrors with high[i] < low[i-2], only with `allow_short`): take the most recent
 * bullish gap not filled by the candles between it and the last one; the last candle must trade
 * into it (low <= top), must not fill it (low > bottom) and must close above its midpoint.
 * Entry = last close; stop = bottom - stop_atr_mult x ATR; R = entry - stop; targets =
 * entry + r x R for each r in `targets_r` (sorted); rr = the first r.
 *
 * confidence = 0.5 x min(1, gap size / (2 x min_gap_atr x ATR)) + 0.5 x min(1, (close - mid) / (top - mid)):
 * half gap size, half how strongly the last candle rejected from the gap. Clamped to 0..1.
 */
export const manifest = defineManifest({
  module_id: 'fvg_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description:
    'Signals a long when price returns into the most recent unfilled bullish fair value gap (three-candle imbalance of a minimum ATR size) and the last candle closes above its midpoint; stop below the gap.',
  input_keys: ['candles', 'volatility'],
  output_keys: ['signals'],
  params: z
    .object({
      lookback: z
        .number()
        .int()
        .min(1)
        .max(500)
        .default(30)
        .describe('candles before the last one in which a gap may have formed (its third candle)'),
      min_gap_atr: z.number().min(0).max(10).default(0.25).describe('minimum gap size (top - bottom) in ATRs'),
      stop_atr_mult: z
        .number()
        .min(0)
        .max(10)
        .default(0.25)
        .describe('stop distance below the gap bottom (above the top for shorts), in ATRs'),
      targets_r: agentParams.targetsR(),
      allow_short: z.boolean().default(false).describe('also signal returns into bearish gaps (off by default: spot)'),
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

/** Candles needed: the first two candles of the oldest allowed gap, the window and the last candle. */
export function requiredCandles(p: { lookback: number }): number {
  return p.lookback + 3;
}

export interface Gap {
  /** index of the gap's third candle */
  at: number;
  bottom: number;
  top: number;
}

/**
 * The most recent gap of the direction whose third candle is in [last - lookback, last - 1],
 * at least `minSize` wide and not filled by candles at..last-1 (a low at or below the bottom for
 * a bullish gap, a high at or above the top for a bearish one).
 */
export function latestOpenGap(
  c: { readonly high: readonly number[]; readonly low: readonly number[] },
  direction: 'long' | 'short',
  lookback: number,
  minSize: number,
): Gap | null {
  const last = c.high.length - 1;
  for (let i = last - 1; i >= last - lookback && i >= 2; i--) {
    const g: Gap | null =
      direction === 'long'
        ? c.low[i]! > c.high[i - 2]!
          ? { at: i, bottom: c.high[i - 2]!, top: c.low[i]! }
          : null
        : c.high[i]! < c.low[i - 2]!
          ? { at: i, bottom: c.high[i]!, top: c.low[i - 2]! }
          : null;
    if (!g || g.top - g.bottom < minSize) continue;
    let filled = false;
    for (let j = i + 1; j < last && !filled; j++)
      filled = direction === 'long' ? c.low[j]! <= g.bottom : c.high[j]! >= g.top;
    if (!filled) return g;
  }
  return null;
}

export const run: ModuleRun<typeof manifest> = (view, params) => {
  const { open, high, low, close } = view.candles;
  const n = close.length;
  const need = requiredCandles(params);
  if (n < need)
    return noSignal(
      notEnoughData(need, n, `gap window ${params.lookback} + its two leading candles + the last candle`),
    );
  const atr = view.volatility.atr;
  if (!(atr > 0)) return noSignal(`ATR is ${atr}, so no minimum gap size or ATR stop can be set`);
  const last = n - 1;
  const c = close[last]!;
  const minSize = params.min_gap_atr * atr;
  const rs = sortedR(params.targets_r);
  const signals: Signal[] = [];
  const notes: string[] = [];
  for (const direction of ['long', 'short'] as const) {
    const long = direction === 'long';
    const kind = long ? 'bullish' : 'bearish';
    const gap = latestOpenGap(view.candles, direction, params.lookback, minSize);
    if (!gap) {
      notes.push(
        `no unfilled ${kind} gap of at least ${params.min_gap_atr} ATR (${px(minSize)}) in the last ${params.lookback} candles`,
      );
      continue;
    }
    const size = gap.top - gap.bottom;
    const mid = (gap.top + gap.bottom) / 2;
    const ago = last - gap.at;
    const seen = `${kind} gap ${px(gap.bottom)}-${px(gap.top)} (size ${px(size)} = ${f(size / atr)} ATR, mid ${px(mid)}) formed ${ago} candle${ago === 1 ? '' : 's'} ago`;
    const edge = long ? low[last]! : high[last]!;
    const entered = long ? edge <= gap.top : edge >= gap.bottom;
    if (!entered) {
      notes.push(`${seen}: the last candle's ${long ? 'low' : 'high'} ${px(edge)} did not reach it`);
      continue;
    }
    const fills = long ? edge <= gap.bottom : edge >= gap.top;
    if (fills) {
      notes.push(`${seen}: the last candle's ${long ? 'low' : 'high'} ${px(edge)} went through it (gap filled)`);
      continue;
    }
    if (long ? !(c > mid) : !(c < mid)) {
      notes.push(
        `${seen}: price returned into it, but the last close ${px(c)} is not ${long ? 'above' : 'below'} the midpoint`,
      );
      continue;
    }
    if (!long && !params.allow_short) {
      notes.push(
        `${seen}: price returned and closed below the midpoint, but short signals are disabled (allow_short false)`,
      );
      continue;
    }
    const sign = long ? 1 : -1;
    const stop = long ? gap.bottom - params.stop_atr_mult * atr : gap.top + params.stop_atr_mult * atr;
    const risk = sign * (c - stop);
    const targets = rTargets(c, sign, risk, rs);
    if (!riskAndTargetsValid(risk, stop, targets)) {
      notes.push(
        `${seen}: the stop ${px(stop)} does not give a positive risk and positive targets from entry ${px(c)}`,
      );
      continue;
    }
    const rejection = (sign * (c - mid)) / (size / 2);
    const confidence = blendHalves(
      params.min_gap_atr > 0 ? Math.min(1, size / (2 * minSize)) : 1,
      Math.min(1, rejection),
    );
    signals.push({ direction, setup: `fvg_${kind}_return`, entry: c, stop, targets, rr: rs[0]!, confidence });
    notes.push(
      `${seen}: the last candle (open ${px(open[last]!)}) traded to ${px(edge)} inside it and closed ${px(c)} ${long ? 'above' : 'below'} the midpoint. ` +
        `${direction} entry ${px(c)}, stop ${px(stop)} = gap ${long ? 'bottom -' : 'top +'} ${params.stop_atr_mult} x ATR ${px(atr)} (R ${px(risk)}), ` +
        `targets ${targets.map(px).join(', ')} at ${rMultiplesText(rs)}, rr ${rs[0]}, confidence ${f(confidence)}`,
    );
  }
  const head = signals.length > 0 ? 'FVG return' : 'No signal';
  return { outputs: { signals }, rationale: `${head}: ${notes.join('; ')}.` };
};
