import { describe, expect, it } from 'vitest';
import { manifest, prepare, run } from '../../modules/context/key_levels_v1.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, sliceCandles, syntheticCandles, type Candles } from '../helpers/sample-candles.ts';

const params = manifest.params.parse({});
const sdk = { indicators };
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // first sample candle

function runInfo(as_of: string): ContextValue<'run'> {
  return contextKeys.run.schema.parse({
    run_id: '00000000-0000-4000-8000-000000000002',
    pipeline_id: 'default',
    strategy_id: null,
    system_mode: 'TEST',
    operational_mode: 'observe',
    risk_profile: 'medium',
    exchange: 'binance',
    timeframe: '1h',
    as_of,
    trigger: 'test',
  });
}

/** The module as a live run calls it: its columns prepared over the view's candles, then run at the newest. */
const runKl = (view: Parameters<typeof run>[0], p = params) =>
  run(view, p, sdk, preparedOver(prepare, view.candles, p));

function runOn(candles: Candles, as_of: string, p = params) {
  const out = runKl({ candles, run: runInfo(as_of) }, p);
  return { kl: contextKeys.key_levels.schema.parse(out.outputs.key_levels), rationale: out.rationale };
}

/** The sample candles closed by `asOf` (open + 1h <= asOf), the newest `history` of them. */
function closedBy(asOf: string, history = 500, base: 'BTC' | 'ETH' = 'BTC'): Candles {
  const to = (Date.parse(asOf) - T0) / H; // the sample has no gaps: one candle per hour from T0
  return sampleCandles({ base, from: Math.max(0, to - history), to });
}

const day = (ts: number) => new Date(ts).toISOString().slice(0, 10);

/** Max high / min low of the candles whose UTC date is one of `days`, computed from date strings. */
function rangeOfDays(c: Candles, days: string[]) {
  const idx = c.ts.map((t, i) => (days.includes(day(t)) ? i : -1)).filter((i) => i >= 0);
  return {
    count: idx.length,
    high: Math.max(...idx.map((i) => c.high[i]!)),
    low: Math.min(...idx.map((i) => c.low[i]!)),
  };
}

/** Hand-made candles from highs and lows (hourly from 2024-01-01 00:00). */
function hl(highs: number[], lows: number[], close: number[]): Candles {
  return {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    ts: highs.map((_, i) => T0 + i * H),
    open: [...close],
    high: [...highs],
    low: [...lows],
    close: [...close],
    volume: highs.map(() => 1),
  };
}

//              0   1   2   3   4   5   6   7   8   9  10  11
const HIGHS = [10, 11, 15, 12, 11, 13, 13, 12, 17, 14, 16, 12];
const LOWS = [8, 9, 13, 7, 9, 11, 11, 10, 15, 12, 14, 5];
const CLOSE = [9, 10, 14, 8, 10, 12, 12, 11, 16, 13, 15, 11];

describe('key_levels_v1 swings on a hand-made series (k = 2)', () => {
  const c = hl(HIGHS, LOWS, CLOSE);
  const asOf = '2024-01-01T12:00:00Z'; // all 12 candles closed; no prior day/week in the data

  it('finds confirmed fractals only: highs 17 (i8), 15 (i2); lows 10 (i7), 7 (i3); equal highs 13/13 and unconfirmed 16, 5 are not swings', () => {
    const { kl } = runOn(c, asOf);
    expect(kl.swing_highs).toEqual([17, 15]);
    expect(kl.swing_lows).toEqual([10, 7]);
    expect(kl.prior_day_high).toBeNull();
    expect(kl.prior_week_low).toBeNull();
    // last close 11: lowest level above is 15, highest below is 10
    expect(kl.nearest_resistance).toBe(15);
    expect(kl.nearest_support).toBe(10);
  });

  it('k = 1 adds the newer fractals: highs 16 (i10), 17, 15 (13 = 13 is still no swing); lows 12 (i9), 10, 7', () => {
    const { kl } = runOn(c, asOf, manifest.params.parse({ swing_k: 1 }));
    expect(kl.swing_highs).toEqual([16, 17, 15]);
    expect(kl.swing_lows).toEqual([12, 10, 7]);
    expect(kl.nearest_support).toBe(10); // 12 is above the close 11
    expect(kl.nearest_resistance).toBe(12);
  });

  it('max_swings keeps the newest; swing_lookback limits the candidates to the newest candles', () => {
    expect(runOn(c, asOf, manifest.params.parse({ max_swings: 1 })).kl).toMatchObject({
      swing_highs: [17],
      swing_lows: [10],
    });
    // lookback 5: candidates are candles 7..11, of which 7..9 are confirmed -> high 17 (i8), low 10 (i7)
    expect(runOn(c, asOf, manifest.params.parse({ swing_lookback: 5 })).kl).toMatchObject({
      swing_highs: [17],
      swing_lows: [10],
    });
  });

  it('a level equal to the last close is neither support nor resistance', () => {
    const { kl } = runOn(hl(HIGHS, LOWS, [...CLOSE.slice(0, 11), 10]), asOf);
    expect(kl.nearest_support).toBe(7);
    expect(kl.nearest_resistance).toBe(15);
  });
});

describe('key_levels_v1 on real BTC/USDT 1h candles', () => {
  it('prior day and prior ISO week high/low equal the max/min of those candles, computed from their dates', () => {
    const asOf = '2024-03-05T02:00:00Z'; // Tuesday: prior day Mon 03-04, prior week Mon 02-26 .. Sun 03-03
    const c = closedBy(asOf);
    const { kl, rationale } = runOn(c, asOf);
    const d = rangeOfDays(c, ['2024-03-04']);
    expect(d.count).toBe(24);
    expect(kl.prior_day_high).toBe(d.high);
    expect(kl.prior_day_low).toBe(d.low);
    const w = rangeOfDays(c, [
      '2024-02-26',
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
    ]);
    expect(w.count).toBe(168);
    expect(kl.prior_week_high).toBe(w.high);
    expect(kl.prior_week_low).toBe(w.low);
    expect(rationale).toContain(
      `prior day 2024-03-04T00:00Z..2024-03-05T00:00Z high ${d.high} / low ${d.low} from 24 candles`,
    );
  });

  it('swings match a brute-force fractal search, and nearest levels bracket the last close', () => {
    const asOf = '2024-06-12T15:00:00Z';
    const c = closedBy(asOf, 300, 'ETH');
    const { kl } = runOn(c, asOf);
    const n = c.close.length;
    const hi: number[] = [];
    const lo: number[] = [];
    for (let i = n - 3; i >= n - 200; i--) {
      const nb = [i - 2, i - 1, i + 1, i + 2];
      if (nb.every((j) => c.high[j]! < c.high[i]!)) hi.push(c.high[i]!);
      if (nb.every((j) => c.low[j]! > c.low[i]!)) lo.push(c.low[i]!);
    }
    expect(kl.swing_highs).toEqual(hi.slice(0, 5));
    expect(kl.swing_lows).toEqual(lo.slice(0, 5));
    expect(kl.swing_highs.length).toBe(5);
    const close = c.close[n - 1]!;
    const levels = [
      ...kl.swing_highs,
      ...kl.swing_lows,
      kl.prior_day_high!,
      kl.prior_day_low!,
      kl.prior_week_high!,
      kl.prior_week_low!,
    ];
    expect(kl.nearest_resistance).toBe(Math.min(...levels.filter((x) => x > close)));
    expect(kl.nearest_support).toBe(Math.max(...levels.filter((x) => x < close)));
  });

  it('at exactly midnight the day that just closed is the prior day (its last candle closed at as_of)', () => {
    const asOf = '2024-03-05T00:00:00Z';
    const c = closedBy(asOf);
    const { kl } = runOn(c, asOf);
    const d = rangeOfDays(c, ['2024-03-04']);
    expect(d.count).toBe(24);
    expect([kl.prior_day_high, kl.prior_day_low]).toEqual([d.high, d.low]);
  });

  it('on a Sunday the prior ISO week is the one before the current Monday, not the current one', () => {
    const asOf = '2024-03-10T18:00:00Z'; // Sunday: current week starts Mon 03-04, prior is 02-26 .. 03-03
    const c = closedBy(asOf, 400);
    const { kl } = runOn(c, asOf);
    const w = rangeOfDays(c, [
      '2024-02-26',
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
    ]);
    expect([kl.prior_week_high, kl.prior_week_low]).toEqual([w.high, w.low]);
    const d = rangeOfDays(c, ['2024-03-09']);
    expect([kl.prior_day_high, kl.prior_day_low]).toEqual([d.high, d.low]);
  });

  it('is deterministic: same view, same output', () => {
    const c = closedBy('2024-09-01T10:00:00Z');
    const view = { candles: c, run: runInfo('2024-09-01T10:00:00Z') };
    expect(runKl(view)).toEqual(runKl(view));
  });
});

describe('key_levels_v1 coverage, gaps and short history', () => {
  const asOf = '2024-03-05T02:00:00Z';
  const full = closedBy(asOf);
  const n = full.close.length;

  it('candles starting mid prior day: prior day and week are null, not a partial-day range', () => {
    const { kl, rationale } = runOn(sliceCandles(full, n - 14), asOf); // starts 2024-03-04T12:00
    expect(kl.prior_day_high).toBeNull();
    expect(kl.prior_day_low).toBeNull();
    expect(kl.prior_week_high).toBeNull();
    expect(new Date(full.ts[n - 14]!).toISOString()).toBe('2024-03-04T12:00:00.000Z');
    expect(rationale).toContain('prior day 2024-03-04T00:00Z..2024-03-05T00:00Z not covered by the candles');
  });

  it('candles starting exactly at the prior day: day covered (24 candles), week not', () => {
    const { kl } = runOn(sliceCandles(full, n - 26), asOf);
    expect(day(full.ts[n - 26]!)).toBe('2024-03-04');
    const d = rangeOfDays(full, ['2024-03-04']);
    expect([kl.prior_day_high, kl.prior_day_low]).toEqual([d.high, d.low]);
    expect(kl.prior_week_high).toBeNull();
  });

  it('candles that stop mid prior day (stale data): prior day null, the finished prior week still known', () => {
    const stale = sliceCandles(full, 0, n - 12); // newest candle opens 2024-03-04T13:00
    const { kl } = runOn(stale, asOf);
    expect(kl.prior_day_high).toBeNull();
    expect(kl.prior_week_high).not.toBeNull();
  });

  it('a gap inside the prior day is tolerated: the range is over the candles present', () => {
    const dayIdx = full.ts.map((t, i) => (day(t) === '2024-03-04' ? i : -1)).filter((i) => i >= 0);
    const hiIdx = dayIdx.reduce((a, i) => (full.high[i]! > full.high[a]! ? i : a));
    const keep = full.ts.map((_, i) => i).filter((i) => i !== hiIdx);
    const pick = <T>(a: T[]) => keep.map((i) => a[i]!);
    const gapped: Candles = {
      ...full,
      ts: pick(full.ts),
      open: pick(full.open),
      high: pick(full.high),
      low: pick(full.low),
      close: pick(full.close),
      volume: pick(full.volume),
    };
    const { kl, rationale } = runOn(gapped, asOf);
    const d = rangeOfDays(gapped, ['2024-03-04']);
    expect(d.count).toBe(23);
    expect(kl.prior_day_high).toBe(d.high);
    expect(kl.prior_day_high).toBeLessThan(full.high[hiIdx]!);
    expect(rationale).toContain('from 23 candles');
  });

  it('a flat market with equal highs has no swings, a prior day range of one price, and no level above or below', () => {
    const c = syntheticCandles(new Array(72).fill(100)); // 2024-01-01 .. 2024-01-03, every candle 100/100
    const { kl } = runOn(c, '2024-01-04T00:00:00Z');
    expect(kl).toEqual({
      swing_highs: [],
      swing_lows: [],
      prior_day_high: 100,
      prior_day_low: 100,
      prior_week_high: null,
      prior_week_low: null,
      nearest_resistance: null,
      nearest_support: null,
    });
  });

  it('too little history: fewer than 2k+1 candles give no swings with a clear rationale; zero candles throw', () => {
    const { kl, rationale } = runOn(syntheticCandles([100, 101, 102, 103], { range: 1 }), '2024-01-01T04:00:00Z');
    expect(kl.swing_highs).toEqual([]);
    expect(rationale).toContain('no swings: a confirmed fractal needs 5 candles (k = 2 each side), have 4');
    expect(() => runOn(sampleCandles({ to: 0 }), asOf)).toThrow('not enough data: need 1 candles, have 0');
  });

  it('params reject k = 0 and unknown keys', () => {
    expect(manifest.params.safeParse({ swing_k: 0 }).success).toBe(false);
    expect(manifest.params.safeParse({ k: 2 }).success).toBe(false);
    expect(params).toEqual({ swing_k: 2, swing_lookback: 200, max_swings: 5 });
  });
});

describe('key_levels_v1 per-call work is bounded by what it reads, not by the history', () => {
  const WEEK = 7 * 24 * H;
  const iso = (t: number) => new Date(t).toISOString();
  const all = sampleCandles(); // 2024, one candle per hour from T0, no gaps
  /** Monday 00:00 UTC that starts the ISO week before the one holding `asOf` (ms). */
  const priorWeekStart = (asOf: number) => {
    const dayStart = Math.floor(asOf / (24 * H)) * 24 * H;
    return dayStart - ((new Date(dayStart).getUTCDay() + 6) % 7) * 24 * H - WEEK;
  };
  /**
   * The oldest candle the module can need for a decision on the candles before `end`: the first
   * of the prior ISO week (the coverage check needs a candle at its start) or the oldest neighbour
   * of the oldest swing candidate, whichever is older.
   */
  const needFrom = (end: number, asOf: number, p: typeof params) =>
    Math.min((priorWeekStart(asOf) - T0) / H, end - p.swing_lookback - p.swing_k);

  const variants = [
    params,
    manifest.params.parse({ swing_k: 1, max_swings: 20 }),
    manifest.params.parse({ swing_k: 4, swing_lookback: 1000 }),
  ];

  it('at 200+ decision times, the whole history since 2024-01-01 gives the same levels and rationale as the history cut to that window', () => {
    let compared = 0;
    for (let end = 1200; end <= all.close.length; end += 37) {
      const p = variants[compared % variants.length]!;
      const asOf = all.ts[end - 1]! + (compared % 2 === 0 ? H : H + 30 * 60_000); // at the close, or mid candle after it
      const from = needFrom(end, asOf, p);
      expect(from).toBeGreaterThan(0); // the cut really drops candles
      const long = runOn(sliceCandles(all, 0, end), iso(asOf), p);
      const short = runOn(sliceCandles(all, from, end), iso(asOf), p);
      expect(long).toEqual(short);
      expect(long.kl.prior_week_high).not.toBeNull(); // the compared output includes both periods
      expect(long.kl.prior_day_high).not.toBeNull();
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(200);
  });

  // run's own reads: the columns are prepared once per series (once per replay in a backtest),
  // so what must not grow with the history is what run reads at each decision.
  it('run reads as many candle values with 8,700 candles of history as with 1,000 (and sees the same levels)', () => {
    const end = 8700;
    const asOf = iso(all.ts[end - 1]! + H);
    const reads = (c: Candles) => {
      let count = 0;
      const spy = (a: number[]) =>
        new Proxy(a, {
          get(target, prop, receiver) {
            if (typeof prop === 'string' && /^\d+$/.test(prop)) count++;
            return Reflect.get(target, prop, receiver);
          },
        });
      const prepared = preparedOver(prepare, c, params);
      const candles = {
        ...c,
        ts: spy(c.ts),
        open: spy(c.open),
        high: spy(c.high),
        low: spy(c.low),
        close: spy(c.close),
        volume: spy(c.volume),
      };
      const out = run({ candles, run: runInfo(asOf) }, params, sdk, prepared).outputs;
      return { out, count };
    };
    const long = reads(sliceCandles(all, 0, end));
    const short = reads(sliceCandles(all, end - 1000, end));
    expect(long.out).toEqual(short.out);
    expect(long.count).toBe(short.count);
    expect(long.count).toBeLessThan(2000); // a whole-history scan alone would read 3 x 8,700 values
  });
});
