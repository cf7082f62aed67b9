import { columnOf, defineManifest, z, type ModulePrepare, type ModuleRun } from '../../sdk/index.ts';

/**
 * Key price levels from the closed candles, relative to the run's decision time.
 *
 * - Swing highs/lows (fractals): candle i is a swing high when its high is strictly greater than
 *   the highs of the `swing_k` candles on each side (a swing low: low strictly below the lows of
 *   the k candles on each side). Only confirmed swings count: i needs k candles after it, so the
 *   newest k candles can never be swings. Equal highs (a flat top) make no swing. Candles are
 *   compared by position; a gap in the data does not break a fractal. Only the last
 *   `swing_lookback` candles are scanned and the newest `max_swings` of each kind are kept,
 *   newest first.
 * - Prior day / prior week: the UTC day before as_of's UTC day, and the ISO week (Monday 00:00
 *   UTC to Monday 00:00 UTC) before as_of's week. High/low are the max high / min low of the
 *   candles lying wholly inside that period (open time >= start, open time + timeframe <= end).
 *   A period is covered only if the candles start at or before its start and the newest candle
 *   closes at or after its end; otherwise (or with no candle inside) its high/low are null.
 *   Missing candles inside a covered period are tolerated (data_health reports gaps).
 * - Nearest resistance / support: among all the levels above, the lowest one strictly above the
 *   last close / the highest one strictly below it; null if there is none. A level equal to the
 *   close is neither.
 *
 * Zero candles throw "not enough data"; fewer than 2k+1 candles give no swings, and the
 * rationale says so.
 *
 * Which candles are confirmed swings is prepared once over the series (`prepare`); `run` reads
 * it for the candidates. The prior day and week depend on the run's time, so `run` finds them.
 */
export const manifest = defineManifest({
  module_id: 'key_levels_v1',
  version: '1.0.0',
  logic_type: 'context',
  description:
    'Key levels: confirmed fractal swing highs/lows, prior UTC day and ISO week high/low, and the nearest resistance/support around the last close.',
  input_keys: ['candles', 'run'],
  output_keys: ['key_levels'],
  params: z
    .object({
      swing_k: z
        .number()
        .int()
        .min(1)
        .max(50)
        .default(2)
        .describe(
          'candles on each side a swing high (low) must exceed (undercut); a swing is confirmed k candles later',
        ),
      swing_lookback: z
        .number()
        .int()
        .min(3)
        .max(10_000)
        .default(200)
        .describe('swing candidates are the newest this many candles (their k neighbours may be older)'),
      max_swings: z.number().int().min(1).max(100).default(5).describe('newest swing highs and swing lows kept, each'),
    })
    .strict(),
});

const DAY = 86_400_000;
const WEEK = 7 * DAY;

function timeframeMs(tf: string): number | null {
  const m = /^(\d+)([mhdw])$/.exec(tf);
  if (!m) return null;
  const unit = { m: 60_000, h: 3_600_000, d: DAY, w: WEEK }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z');
const px = (x: number | null) => (x === null ? 'null' : String(x));

/**
 * 1 at bar t when candle t - k is a swing high (low), judged against the k candles on each
 * side, so confirmed at t; 0 otherwise, and for the first 2k bars.
 */
export const prepare: ModulePrepare<typeof manifest, 'swing_high' | 'swing_low'> = (series, params) => {
  const k = params.swing_k;
  const fractal = (values: Float64Array, beats: (other: number, own: number) => boolean) =>
    columnOf(series.length, (t) => {
      const i = t - k;
      if (i - k < 0) return 0;
      for (let j = i - k; j <= t; j++) if (j !== i && beats(values[j]!, values[i]!)) return 0;
      return 1;
    });
  return {
    swing_high: fractal(series.high, (other, own) => other >= own),
    swing_low: fractal(series.low, (other, own) => other <= own),
  };
};

export const run: ModuleRun<typeof manifest, typeof prepare> = (view, params, _sdk, prepared) => {
  const c = view.candles;
  const n = c.close.length;
  if (n === 0) throw new Error('not enough data: need 1 candles, have 0');
  const asOf = Date.parse(view.run.as_of);
  if (!Number.isFinite(asOf)) throw new Error(`run.as_of is not a valid timestamp: ${view.run.as_of}`);
  const close = c.close[n - 1]!;
  const k = params.swing_k;

  // Swings, newest first.
  const highs: number[] = [];
  const lows: number[] = [];
  const scanFrom = Math.max(k, n - params.swing_lookback);
  const max = params.max_swings;
  for (let i = n - 1 - k; i >= scanFrom && (highs.length < max || lows.length < max); i--) {
    // Candle i's swing is confirmed k candles later: n - 1 - k - i bars before the newest.
    const back = n - 1 - k - i;
    if (highs.length < max && prepared.at('swing_high', back) === 1) highs.push(c.high[i]!);
    if (lows.length < max && prepared.at('swing_low', back) === 1) lows.push(c.low[i]!);
  }

  // Prior UTC day and prior ISO week.
  // Candle length: from the timeframe, else the smallest spacing of the candles (0 for one candle).
  // That fallback reads the whole history (any two candles may be the closest), but every
  // timeframe the candle loader accepts (1m .. 1w) parses, so it only serves hand-made views.
  let tf = timeframeMs(c.timeframe);
  if (tf === null) {
    tf = Infinity;
    for (let i = 1; i < n; i++) if (c.ts[i]! - c.ts[i - 1]! > 0) tf = Math.min(tf, c.ts[i]! - c.ts[i - 1]!);
    if (tf === Infinity) tf = 0;
  }
  const dayStart = Math.floor(asOf / DAY) * DAY;
  const dow = new Date(dayStart).getUTCDay(); // 0 = Sunday
  const weekStart = dayStart - ((dow + 6) % 7) * DAY; // Monday 00:00 UTC
  const period = (start: number, end: number) => {
    const covered = c.ts[0]! <= start && c.ts[n - 1]! + tf >= end;
    let hi = -Infinity;
    let lo = Infinity;
    let count = 0;
    if (covered) {
      // Newest first, stopping at the first candle that opened before the period: the candles
      // are oldest first, so every older one did too. The work is bounded by the candles since
      // `start` (at most two weeks of them), not by the length of the history.
      for (let i = n - 1; i >= 0; i--) {
        const t = c.ts[i]!;
        if (t < start) break;
        if (t + tf <= end) {
          hi = Math.max(hi, c.high[i]!);
          lo = Math.min(lo, c.low[i]!);
          count++;
        }
      }
    }
    return count > 0 ? { high: hi, low: lo, count } : { high: null, low: null, count: 0 };
  };
  const day = period(dayStart - DAY, dayStart);
  const week = period(weekStart - WEEK, weekStart);

  const levels = [...highs, ...lows, day.high, day.low, week.high, week.low].filter((x): x is number => x !== null);
  let resistance: number | null = null;
  let support: number | null = null;
  for (const l of levels) {
    if (l > close && (resistance === null || l < resistance)) resistance = l;
    if (l < close && (support === null || l > support)) support = l;
  }

  const swingWhy =
    n < 2 * k + 1
      ? `no swings: a confirmed fractal needs ${2 * k + 1} candles (k = ${k} each side), have ${n}`
      : `swing highs [${highs.join(', ')}] and lows [${lows.join(', ')}] (fractal k = ${k}, confirmed, last ${Math.min(n, params.swing_lookback)} candles, newest first)`;
  const periodWhy = (label: string, start: number, end: number, p: ReturnType<typeof period>) =>
    p.count > 0
      ? `${label} ${iso(start)}..${iso(end)} high ${p.high} / low ${p.low} from ${p.count} candles`
      : `${label} ${iso(start)}..${iso(end)} not covered by the candles (${iso(c.ts[0]!)}..${iso(c.ts[n - 1]! + tf)}): null`;

  return {
    outputs: {
      key_levels: {
        swing_highs: highs,
        swing_lows: lows,
        prior_day_high: day.high,
        prior_day_low: day.low,
        prior_week_high: week.high,
        prior_week_low: week.low,
        nearest_resistance: resistance,
        nearest_support: support,
      },
    },
    rationale:
      `${swingWhy}; ${periodWhy('prior day', dayStart - DAY, dayStart, day)}; ${periodWhy('prior week', weekStart - WEEK, weekStart, week)}. ` +
      `Last close ${close}: nearest resistance ${px(resistance)} (lowest level above), nearest support ${px(support)} (highest level below), among ${levels.length} levels.`,
  };
};
