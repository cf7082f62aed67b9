import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as keyLevels from '../../modules/context/key_levels_v1.ts';
import { preparedOver } from '../../engine/run/prepared-columns.ts';
import { manifest, run } from '../../modules/risk/trade_invalidation_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, sliceCandles, syntheticCandles, type Candles } from '../helpers/sample-candles.ts';

type Position = ContextValue<'positions'>['open'][number];
type KeyLevels = ContextValue<'key_levels'>;
const params = manifest.params.parse({});
const sdk = { indicators };
const P = (over: Record<string, unknown>) => manifest.params.parse(over);
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // first candle of syntheticCandles and of the sample
const iso = (t: number) => new Date(t).toISOString();

const pos = (over: Partial<Position> = {}): Position => ({
  position_id: 1,
  symbol: 'BTC/USDT',
  side: 'long',
  qty: 1,
  entry: 100,
  stop: 95,
  leverage: 1,
  opened_at: iso(T0),
  take_profits_left: 2,
  ...over,
});
const levels = (over: Partial<KeyLevels> = {}): KeyLevels => ({
  swing_highs: [],
  swing_lows: [],
  prior_day_high: null,
  prior_day_low: null,
  prior_week_high: null,
  prior_week_low: null,
  nearest_resistance: null,
  nearest_support: null,
  ...over,
});
/** `bars` hourly candles from T0, all at 100 except the last close; a position opened at T0 has `bars` bars open. */
const series = (bars: number, last: number): Candles =>
  syntheticCandles([...Array.from({ length: bars - 1 }, () => 100), last]);

function check(o: { open: Position[]; candles: Candles; kl?: KeyLevels; symbol?: string }, p = params) {
  const view = {
    positions: contextKeys.positions.schema.parse({ open: o.open, recent_closed: [] }),
    candles: o.candles,
    key_levels: contextKeys.key_levels.schema.parse(o.kl ?? levels()),
    symbol: o.symbol ?? 'BTC/USDT',
  };
  const out = run(view, p, sdk);
  expect(out.rationale.length).toBeGreaterThan(0);
  expect(Object.keys(out.outputs)).toEqual(['exit_requests']); // always the list, [] when nothing fires
  return {
    requests: out.outputs.exit_requests!.map((r) => contextKeys.exit_requests.schema.parse(r)),
    rationale: out.rationale,
  };
}

describe('trade_invalidation_v1 time stop', () => {
  it('long: 52 bars open >= 48 and progress (101.05 - 100) / (100 - 95) = 0.21R < 0.5R: exit requested', () => {
    const { requests, rationale } = check({ open: [pos({ position_id: 7 })], candles: series(52, 101.05) });
    expect(requests).toEqual([
      {
        position_id: 7,
        symbol: 'BTC/USDT',
        reason: 'time stop: 52 bars open >= 48 and progress 0.21R < 0.5R (entry 100.00, stop 95.00, close 101.05)',
      },
    ]);
    expect(rationale).toContain('1 of 1 open position(s) on BTC/USDT invalidated.');
    expect(rationale).toContain(
      '#7 long BTC/USDT (entry 100.00, stop 95.00, close 101.05, 52 bars open) INVALIDATED, exit requested',
    );
  });

  it('long: a losing trade past the limit is cut (close 97: -0.60R)', () => {
    expect(check({ open: [pos()], candles: series(60, 97) }).requests[0]!.reason).toBe(
      'time stop: 60 bars open >= 48 and progress -0.60R < 0.5R (entry 100.00, stop 95.00, close 97.00)',
    );
  });

  it('short: progress (50 - 49.5) / (52 - 50) = 0.25R < 0.5R fires; (50 - 48.9) / 2 = 0.55R stands', () => {
    const s = pos({ side: 'short', entry: 50, stop: 52 });
    expect(check({ open: [s], candles: series(48, 49.5) }).requests[0]!.reason).toBe(
      'time stop: 48 bars open >= 48 and progress 0.25R < 0.5R (entry 50.00, stop 52.00, close 49.50)',
    );
    const ok = check({ open: [s], candles: series(48, 48.9) });
    expect(ok.requests).toEqual([]);
    expect(ok.rationale).toContain('time stop: 48 bars open >= 48 but progress 0.55R >= 0.5R');
  });

  it('boundary: exactly max_bars_open bars counts, one fewer does not', () => {
    expect(check({ open: [pos()], candles: series(48, 101) }).requests).toHaveLength(1);
    const r = check({ open: [pos()], candles: series(47, 101) });
    expect(r.requests).toEqual([]);
    expect(r.rationale).toBe(
      'No exit: 1 open position(s) on BTC/USDT stand. #1 long BTC/USDT (entry 100.00, stop 95.00, close 101.00, 47 bars open) stands: ' +
        'structure: no confirmed swing low below the entry among []; time stop: 47 bars open < 48.',
    );
  });

  it('boundary: progress exactly min_progress_r stands (long 102.5 = 0.5R; short 49 = 0.5R)', () => {
    const long = check({ open: [pos()], candles: series(100, 102.5) });
    expect(long.requests).toEqual([]);
    expect(long.rationale).toContain('time stop: 100 bars open >= 48 but progress 0.50R >= 0.5R');
    expect(check({ open: [pos({ side: 'short', entry: 50, stop: 52 })], candles: series(100, 49) }).requests).toEqual(
      [],
    );
    // a hair below the minimum fires
    expect(check({ open: [pos()], candles: series(100, 102.49) }).requests).toHaveLength(1);
  });

  it('bars are counted from opened_at: candles opened before it do not count (a mid-candle opening waits for the next)', () => {
    const c = series(60, 101);
    expect(check({ open: [pos({ opened_at: iso(T0 + 12 * H) })], candles: c }).requests[0]!.reason).toContain(
      '48 bars open >= 48',
    );
    const mid = check({ open: [pos({ opened_at: iso(T0 + 12 * H + 1) })], candles: c });
    expect(mid.requests).toEqual([]);
    expect(mid.rationale).toContain('47 bars open < 48');
  });

  it('a position opened before the first candle counts the whole window as a lower bound', () => {
    const r = check({ open: [pos({ opened_at: iso(T0 - 100 * H) })], candles: series(30, 101) });
    expect(r.requests).toEqual([]);
    expect(r.rationale).toContain('at least 30 bars open < 48');
  });

  it('custom max_bars_open and min_progress_r (10 bars, 1R: 0.8R fires)', () => {
    expect(
      check({ open: [pos()], candles: series(10, 104) }, P({ max_bars_open: 10, min_progress_r: 1 })).requests[0]!
        .reason,
    ).toBe('time stop: 10 bars open >= 10 and progress 0.80R < 1R (entry 100.00, stop 95.00, close 104.00)');
  });

  it('max_bars_open 0 disables it', () => {
    const r = check({ open: [pos()], candles: series(500, 96) }, P({ max_bars_open: 0 }));
    expect(r.requests).toEqual([]);
    expect(r.rationale).toContain('time stop off (max_bars_open 0)');
  });

  it('a stop at or beyond the entry (breakeven, trailed) leaves R undefined: the time stop does not apply', () => {
    for (const stop of [100, 101]) {
      const r = check({ open: [pos({ stop })], candles: series(60, 100.5) });
      expect(r.requests).toEqual([]);
      expect(r.rationale).toContain(
        `time stop: 60 bars open >= 48 but the stop ${stop}.00 is not on the loss side of the entry 100.00`,
      );
    }
  });
});

describe('trade_invalidation_v1 structure break', () => {
  const kl = levels({ swing_lows: [103, 97, 94], swing_highs: [97, 103, 106] });

  it('long: close 96.99 < 97, the newest swing low below the entry (103 above it is skipped): exit requested', () => {
    const { requests } = check({ open: [pos()], candles: series(5, 96.99), kl });
    expect(requests).toEqual([
      {
        position_id: 1,
        symbol: 'BTC/USDT',
        reason:
          'structure break: close 96.99 < swing low 97.00, the newest confirmed swing low below the entry (entry 100.00, stop 95.00, close 96.99)',
      },
    ]);
  });

  it('long: a close exactly at the level stands, and a wick below it does not count', () => {
    const at = check({ open: [pos()], candles: series(5, 97), kl });
    expect(at.requests).toEqual([]);
    expect(at.rationale).toContain(
      'structure: close 97.00 >= swing low 97.00, the newest confirmed swing low below the entry; time stop: 5 bars open < 48.',
    );
    const wick = series(5, 98);
    wick.low[4] = 95.5; // traded through 97, closed above it
    expect(check({ open: [pos()], candles: wick, kl }).requests).toEqual([]);
  });

  it('an older, higher swing low is never used instead of the newest one (96 newest, 98 older): close 97 stands', () => {
    const r = check({ open: [pos()], candles: series(5, 97), kl: levels({ swing_lows: [96, 98] }) });
    expect(r.requests).toEqual([]);
    expect(r.rationale).toContain('close 97.00 >= swing low 96.00');
  });

  it('short mirrored: close 103.01 > 103, the newest swing high above the entry (97 below it is skipped); 103 stands', () => {
    const s = pos({ side: 'short', entry: 100, stop: 105 });
    expect(check({ open: [s], candles: series(5, 103.01), kl }).requests[0]!.reason).toBe(
      'structure break: close 103.01 > swing high 103.00, the newest confirmed swing high above the entry (entry 100.00, stop 105.00, close 103.01)',
    );
    const at = check({ open: [s], candles: series(5, 103), kl });
    expect(at.requests).toEqual([]);
    expect(at.rationale).toContain('structure: close 103.00 <= swing high 103.00');
  });

  it('never fires because the stop is near: a level at or beyond the stop is left to the stop', () => {
    // long, stop 95: levels 95 and 94 are not inside the stop; even a close below them is not this rule's
    for (const lvl of [95, 94]) {
      const r = check({ open: [pos()], candles: series(5, 93), kl: levels({ swing_lows: [lvl] }) });
      expect(r.requests).toEqual([]);
      expect(r.rationale).toContain(
        `swing low ${lvl}.00, the newest confirmed swing low below the entry, is not inside the stop 95.00`,
      );
    }
    // a stop moved to breakeven makes every level below the entry moot
    expect(check({ open: [pos({ stop: 100 })], candles: series(5, 96), kl }).requests).toEqual([]);
    // short mirrored: stop 105, swing high 105
    const s = pos({ side: 'short', entry: 100, stop: 105 });
    expect(check({ open: [s], candles: series(5, 106), kl: levels({ swing_highs: [105] }) }).requests).toEqual([]);
    // and a close right next to the stop with no level broken is nothing
    expect(check({ open: [pos()], candles: series(5, 95.01), kl: levels({ swing_lows: [94] }) }).requests).toEqual([]);
  });

  it('break_buffer_pct: long trigger 100 x (1 - 1%) = 99 (99 stands, 98.99 fires); short 100 x (1 + 1%) = 101', () => {
    const p = P({ break_buffer_pct: 1 });
    const l = pos({ entry: 110, stop: 90 });
    const k = levels({ swing_lows: [100], swing_highs: [100] });
    expect(check({ open: [l], candles: series(5, 99), kl: k }, p).requests).toEqual([]);
    expect(check({ open: [l], candles: series(5, 98.99), kl: k }, p).requests[0]!.reason).toBe(
      'structure break: close 98.99 < 99.00 = swing low 100.00 - 1%, the newest confirmed swing low below the entry (entry 110.00, stop 90.00, close 98.99)',
    );
    const s = pos({ side: 'short', entry: 90, stop: 110 });
    expect(check({ open: [s], candles: series(5, 101), kl: k }, p).requests).toEqual([]);
    expect(check({ open: [s], candles: series(5, 101.01), kl: k }, p).requests[0]!.reason).toContain(
      'close 101.01 > 101.00 = swing high 100.00 + 1%',
    );
    // the buffer can push the trigger onto the stop: 96 x 0.98 = 94.08 <= 95, moot
    const moot = check(
      { open: [pos()], candles: series(5, 90), kl: levels({ swing_lows: [96] }) },
      P({ break_buffer_pct: 2 }),
    );
    expect(moot.requests).toEqual([]);
    expect(moot.rationale).toContain('94.08 = swing low 96.00 - 2%');
  });

  it('no swing level on the loss side of the entry: nothing to judge', () => {
    const r = check({ open: [pos()], candles: series(5, 96), kl: levels({ swing_lows: [101, 104] }) });
    expect(r.requests).toEqual([]);
    expect(r.rationale).toContain('structure: no confirmed swing low below the entry among [101, 104]');
  });

  it('structure_break false disables it', () => {
    const r = check({ open: [pos()], candles: series(5, 90.5), kl }, P({ structure_break: false }));
    expect(r.requests).toEqual([]);
    expect(r.rationale).toContain('structure break off; time stop: 5 bars open < 48.');
  });

  it('no candle opened since the position opened: nothing is judged, even below a level', () => {
    const r = check({ open: [pos({ opened_at: iso(T0 + 5 * H) })], candles: series(5, 96), kl });
    expect(r.requests).toEqual([]);
    expect(r.rationale).toContain(
      '0 bars open) stands: no candle has opened since the position opened at 2024-01-01T05:00:00.000Z',
    );
  });

  it('both rules firing give one request naming both', () => {
    const { requests } = check({ open: [pos()], candles: series(50, 96.5), kl });
    expect(requests).toEqual([
      {
        position_id: 1,
        symbol: 'BTC/USDT',
        reason:
          'structure break: close 96.50 < swing low 97.00, the newest confirmed swing low below the entry; ' +
          'time stop: 50 bars open >= 48 and progress -0.70R < 0.5R (entry 100.00, stop 95.00, close 96.50)',
      },
    ]);
  });
});

describe('trade_invalidation_v1 positions and symbols', () => {
  const kl = levels({ swing_lows: [97] });

  it('no position on this symbol: [] even when another symbol holds one that would be invalidated', () => {
    const eth = pos({ position_id: 3, symbol: 'ETH/USDT' });
    const r = check({ open: [eth], candles: series(60, 96), kl });
    expect(r.requests).toEqual([]);
    expect(r.rationale).toBe(
      "No open position on BTC/USDT (1 open on other symbols, not this module's): nothing to invalidate.",
    );
    expect(check({ open: [], candles: series(60, 96), kl }).rationale).toBe(
      'No open position on BTC/USDT: nothing to invalidate.',
    );
  });

  it("only this symbol's positions are judged, each on its own, in the order listed", () => {
    const open = [
      pos({ position_id: 3, symbol: 'ETH/USDT' }),
      pos({ position_id: 4 }), // long 100 / 95: close 96 < 97
      pos({ position_id: 5, entry: 90, stop: 85 }), // no swing low below 90; 5 bars
    ];
    const r = check({ open, candles: series(5, 96), kl });
    expect(r.requests.map((x) => x.position_id)).toEqual([4]);
    expect(r.rationale).toContain(
      "1 of 2 open position(s) on BTC/USDT invalidated (1 open on other symbols, not this module's).",
    );
    expect(r.rationale).toContain('#5 long BTC/USDT (entry 90.00, stop 85.00, close 96.00, 5 bars open) stands');
  });

  it('no candle at all: no request, the rationale says why', () => {
    const r = check({ open: [pos()], candles: syntheticCandles([]), kl });
    expect(r.requests).toEqual([]);
    expect(r.rationale).toBe('1 open position(s) on BTC/USDT but no candle: nothing can be judged, no exit requested.');
  });

  it('is deterministic', () => {
    const view = {
      positions: { open: [pos(), pos({ position_id: 2, side: 'short', entry: 95, stop: 99 })], recent_closed: [] },
      candles: series(60, 96),
      key_levels: kl,
      symbol: 'BTC/USDT',
    };
    expect(run(view, params, sdk)).toEqual(run(view, params, sdk));
  });

  const grid = (min: number, max: number) => fc.integer({ min: min * 64, max: max * 64 }).map((k) => k / 64);

  it('property: a short is the mirror of a long (prices reflected around 200) and gets the same verdicts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        // Prices on a 1/64 grid: 200 - x is then exact, so the mirror cannot flip a comparison by rounding.
        grid(60, 140),
        grid(0.5, 30),
        grid(60, 140),
        fc.array(grid(60, 140), { maxLength: 4 }),
        (bars, entry, riskDist, last, lows) => {
          const m = (x: number) => 200 - x;
          const long = check({
            open: [pos({ entry, stop: entry - riskDist })],
            candles: series(bars, last),
            kl: levels({ swing_lows: lows }),
          });
          const short = check({
            open: [pos({ side: 'short', entry: m(entry), stop: m(entry - riskDist) })],
            candles: series(bars, m(last)),
            kl: levels({ swing_highs: lows.map(m) }),
          });
          expect(short.requests.length).toBe(long.requests.length);
          expect(short.requests.map((x) => x.reason.split(':')[0])).toEqual(
            long.requests.map((x) => x.reason.split(':')[0]),
          );
        },
      ),
    );
  });
});

describe('trade_invalidation_v1 on real BTC/USDT 1h candles', () => {
  // A synthetic long opened at 2024-02-22 11:00 UTC at the close of the 10:00 candle (51694.07),
  // stop 50800. The market then dips, wicks through the swing low at 13:00 without closing below
  // it, builds new swing lows, and at 2024-02-23 02:00 closes below the newest one.
  const runInfo = (as_of: string) =>
    contextKeys.run.schema.parse({
      run_id: '00000000-0000-4000-8000-000000000003',
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
  const at = (asOf: string) => {
    const to = (Date.parse(asOf) - T0) / H; // the sample has one candle per hour from T0: candles closed by asOf
    const candles = sampleCandles({ from: to - 300, to });
    const klParams = keyLevels.manifest.params.parse({});
    const prepared = preparedOver(keyLevels.prepare, candles, klParams);
    const kl = keyLevels.run({ candles, run: runInfo(asOf) }, klParams, sdk, prepared).outputs.key_levels!;
    return { candles, kl };
  };
  const opened = '2024-02-22T11:00:00.000Z';
  const entry = at(opened).candles.close.at(-1)!;
  const long = pos({ position_id: 42, entry, stop: 50_800, opened_at: opened });

  it('fires on the first candle that closes below the newest swing low under the entry, and not before', () => {
    expect(entry).toBe(51694.07);
    const steps: {
      asOf: string;
      close: number;
      low: number;
      level: number | undefined;
      fired: boolean;
      reason?: string;
    }[] = [];
    for (let t = Date.parse(opened) + H; t <= Date.parse('2024-02-23T04:00:00Z'); t += H) {
      const { candles, kl } = at(iso(t));
      const { requests } = check({ open: [long], candles, kl });
      steps.push({
        asOf: iso(t),
        close: candles.close.at(-1)!,
        low: candles.low.at(-1)!,
        level: kl.swing_lows.find((s) => s < entry),
        fired: requests.length > 0,
        reason: requests[0]?.reason,
      });
    }
    // the stop was never touched on the way
    expect(Math.min(...steps.map((s) => s.low))).toBeGreaterThan(50_800);
    // fires exactly when the close is below the level in force at that time
    for (const s of steps) expect(s.fired).toBe(s.level !== undefined && s.close < s.level);
    const first = steps.findIndex((s) => s.fired);
    expect(steps[first]!.asOf).toBe('2024-02-23T03:00:00.000Z'); // the 02:00 candle, 16 bars after the opening
    expect(steps[first]!.reason).toBe(
      'structure break: close 51096.39 < swing low 51184.04, the newest confirmed swing low below the entry (entry 51694.07, stop 50800.00, close 51096.39)',
    );
    expect(steps.slice(0, first).every((s) => !s.fired)).toBe(true);
    // the 13:00 candle traded below the swing low then in force (51153.69) but closed above it: no exit
    expect(steps[2]).toMatchObject({
      asOf: '2024-02-22T14:00:00.000Z',
      level: 51153.69,
      close: 51164.02,
      low: 50940.78,
      fired: false,
    });
  });

  it('the broken level is a real fractal: the 2024-02-22 22:00 low, under the 2 candles each side', () => {
    const { candles } = at('2024-02-23T03:00:00.000Z');
    const i = candles.ts.indexOf(Date.parse('2024-02-22T22:00:00Z'));
    expect(candles.low[i]).toBe(51184.04);
    for (const j of [i - 2, i - 1, i + 1, i + 2]) expect(candles.low[j]!).toBeGreaterThan(51184.04);
    // confirmed when the 00:00 candle closed; no close from the swing candle to the 02:00 candle went below it
    expect(candles.close.slice(i, -1)).toEqual([51456.01, 51288.42, 51455.85, 51311.11]);
    expect(candles.close.at(-1)).toBe(51096.39);
  });
});

describe('trade_invalidation_v1 params and manifest', () => {
  it('defaults, keys and validation', () => {
    expect(params).toEqual({ max_bars_open: 48, min_progress_r: 0.5, structure_break: true, break_buffer_pct: 0 });
    expect(manifest).toMatchObject({
      module_id: 'trade_invalidation_v1',
      logic_type: 'risk',
      input_keys: ['positions', 'candles', 'key_levels', 'symbol'],
      output_keys: ['exit_requests'],
    });
    for (const bad of [
      { max_bars_open: -1 },
      { max_bars_open: 1.5 },
      { min_progress_r: 'x' },
      { min_progress_r: 50 },
      { structure_break: 'yes' },
      { break_buffer_pct: -0.1 },
      { break_buffer_pct: 11 },
      { max_bars: 10 },
    ]) {
      expect(manifest.params.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(P({ max_bars_open: 0, min_progress_r: -0.5 })).toMatchObject({ max_bars_open: 0, min_progress_r: -0.5 });
  });
});

describe('trade_invalidation_v1 on a long history: bars open are counted without scanning it', () => {
  const all = sampleCandles(); // 2024, one candle per hour, no gaps

  it('at 200+ decision times, the whole history since 2024-01-01 gives the result of the history cut to start at the opening, for young and old positions', () => {
    let compared = 0;
    for (let end = 300; end <= all.close.length; end += 41, compared++) {
      const ago = [1, 2, 10, 47, 48, 49, Math.min(700, end - 1), end - 1][compared % 8]!;
      const at = end - ago; // the candle in which the position opened
      const openedAt = all.ts[at]! + (compared % 2 === 0 ? 0 : 15 * 60_000);
      const entry = all.close[at]!;
      const side = compared % 3 === 0 ? 'short' : 'long';
      const p = pos({
        position_id: 9,
        side,
        entry,
        stop: side === 'long' ? entry * 0.98 : entry * 1.02,
        opened_at: iso(openedAt),
      });
      const kl = levels({ swing_lows: [entry * 0.99, entry * 0.97], swing_highs: [entry * 1.01, entry * 1.03] });
      const long = check({ open: [p], candles: sliceCandles(all, 0, end), kl });
      const short = check({ open: [p], candles: sliceCandles(all, at, end), kl });
      expect(long).toEqual(short);
      const bars = all.ts.slice(0, end).filter((t) => t >= openedAt).length; // independent count
      expect(bars).toBe(compared % 2 === 0 ? ago : ago - 1);
      expect(long.rationale).toContain(
        bars === 0 ? 'no candle has opened since the position opened' : `, ${bars} bars open)`,
      );
    }
    expect(compared).toBeGreaterThanOrEqual(200);
  });
});
