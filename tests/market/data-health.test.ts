import { describe, expect, it } from 'vitest';
import { checkDataHealth, corruptDataReason, type HealthOptions } from '../../market/data-health.ts';
import { parseCandleCsv } from '../../market/csv-candles.ts';
import { DataHealth } from '../../sdk/context-schemas.ts';
import { HOUR, SAMPLE_LAST_TS, SAMPLE_ROWS, sampleText } from './sample.ts';

const sample = parseCandleCsv(sampleText, { timeframe: '1h' });
const { ts } = sample;
const lastClose = SAMPLE_LAST_TS + HOUR; // 2025-01-01T00:00Z
const fresh = { timeframeMs: HOUR, asOfMs: lastClose, minBars: 200 };

function health(series: number[], options: HealthOptions = fresh) {
  return DataHealth.parse(checkDataHealth({ ts: series }, options));
}

describe('checkDataHealth on the 2024 sample', () => {
  it('finds the real sample complete and fresh right after its last close', () => {
    expect(health(ts)).toEqual({
      ok: true,
      bars: SAMPLE_ROWS,
      gaps: 0,
      missing_bars: 0,
      duplicates: 0,
      bad_values: 0,
      ohlc_errors: 0,
      off_grid: 0,
      first_corrupt_ts: null,
      zero_volume_streak: 0,
      last_close_ts: lastClose,
      stale: false,
      issues: [],
    });
  });

  it('reports a cut-out gap with its size and place, yet stays ok while it is small', () => {
    const cut = [...ts.slice(0, 1000), ...ts.slice(1010, 5000), ...ts.slice(5001)];
    const h = health(cut);
    expect(h).toMatchObject({ ok: true, bars: SAMPLE_ROWS - 11, gaps: 2, missing_bars: 11, stale: false });
    expect(h.issues).toEqual([
      `2 gap(s) with 11 missing bar(s) in total; the largest is 10 bar(s) after ${new Date(ts[999]!).toISOString()}.`,
    ]);
  });

  it('fails when missing bars exceed 5% of the bars', () => {
    const sparse = ts.filter((_, i) => i % 10 !== 5); // one bar in ten gone: ~11% missing
    const h = health(sparse);
    expect(h.ok).toBe(false);
    expect(h.gaps).toBe(h.missing_bars);
    expect(h.missing_bars).toBe(ts.length - sparse.length);
    expect(h.issues.at(-1)).toMatch(/^Missing bars are 11\.\d% of the series, above the 5% limit\.$/);
  });

  it('is stale only once as_of is more than one timeframe past the last close', () => {
    expect(health(ts, { ...fresh, asOfMs: lastClose + HOUR }).stale).toBe(false);
    const h = health(ts, { ...fresh, asOfMs: lastClose + HOUR + 1 });
    expect(h).toMatchObject({ ok: false, stale: true, last_close_ts: lastClose });
    expect(h.issues).toEqual([
      `The newest candle closed at 2025-01-01T00:00:00.000Z, more than one timeframe before 2025-01-01T01:00:00.001Z, so the data is stale.`,
    ]);
  });

  it('fails with too few bars, and with no bars at all', () => {
    const h = health(ts.slice(-50));
    expect(h).toMatchObject({ ok: false, bars: 50, stale: false });
    expect(h.issues).toEqual(['Only 50 bars are available but 200 are needed: import or fetch more history.']);
    expect(health([])).toMatchObject({
      ok: false,
      bars: 0,
      gaps: 0,
      missing_bars: 0,
      last_close_ts: null,
      stale: true,
    });
  });

  it('flags a candle that had not closed at decision time', () => {
    const h = health(ts, { ...fresh, asOfMs: lastClose - 1 });
    expect(h.ok).toBe(false);
    expect(h.issues.at(-1)).toMatch(/was not closed at decision time/);
  });

  it('finds the full real sample consistent, then catches a duplicate, a broken candle and a zero-volume streak', () => {
    const full = (series: typeof sample) => DataHealth.parse(checkDataHealth(series, fresh));
    expect(full(sample)).toMatchObject({ ok: true, duplicates: 0, ohlc_errors: 0, zero_volume_streak: 0 });

    const dup = { ...sample, ts: [...sample.ts] };
    dup.ts[100] = dup.ts[99]!;
    expect(full(dup)).toMatchObject({ ok: false, duplicates: 1 });
    expect(full(dup).issues).toContain('1 candle(s) repeat the time of the one before, so the series is corrupt.');

    const broken = { ...sample, high: [...sample.high] };
    broken.high[200] = sample.low[200]! - 1;
    expect(full(broken)).toMatchObject({ ok: false, ohlc_errors: 1 });

    const quiet = { ...sample, volume: [...sample.volume] };
    quiet.volume.fill(0, 500, 502);
    expect(full(quiet)).toMatchObject({ ok: true, zero_volume_streak: 2 });
    quiet.volume.fill(0, 500, 503);
    expect(full(quiet)).toMatchObject({ ok: false, zero_volume_streak: 3 });
    expect(full(quiet).issues).toContain('3 consecutive candles have zero volume: the market looks halted or dead.');
  });

  it('flags candles off the timeframe grid: a 30-minute offset in 1h data, or a whole series shifted by it', () => {
    const shifted = { ...sample, ts: [...sample.ts] };
    shifted.ts[300] = sample.ts[300]! + 30 * 60_000;
    const h = DataHealth.parse(checkDataHealth(shifted, fresh));
    expect(h).toMatchObject({ ok: false, off_grid: 1, first_corrupt_ts: shifted.ts[300] });
    expect(h.issues).toContain("1 candle(s) open off the timeframe's grid (not one of its candle open times).");
    expect(corruptDataReason(h, 'BTC/USDT')).toBe(
      "data_health: corrupt candles in the last 8784 (1 with an open time off the timeframe's grid), the first opening 2024-01-13T12:30:00.000Z; list them with `trader data check --symbols BTC/USDT` and remove them with --fix.",
    );
    const all = { ...sample, ts: sample.ts.map((t) => t + 30 * 60_000) };
    expect(DataHealth.parse(checkDataHealth(all, { ...fresh, asOfMs: lastClose + 30 * 60_000 }))).toMatchObject({
      ok: false,
      off_grid: SAMPLE_ROWS,
      gaps: 0,
    });
    // Weekly candles open on Mondays: the real grid is not off it.
    const weeks = [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 8)];
    expect(
      checkDataHealth({ ts: weeks }, { timeframeMs: 7 * 24 * HOUR, asOfMs: Date.UTC(2024, 0, 15), minBars: 1 })
        .off_grid,
    ).toBe(0);
  });

  it('counts NaN, infinite, zero and negative values as corrupt, which blocks a run before any module', () => {
    const bad = { ...sample, volume: [...sample.volume], close: [...sample.close], low: [...sample.low] };
    bad.volume[10] = Number.NaN;
    bad.close[20] = Infinity;
    bad.low[30] = 0;
    const h = checkDataHealth(bad, fresh);
    expect(h).toMatchObject({ ok: false, bad_values: 3, ohlc_errors: 0, first_corrupt_ts: sample.ts[10] });
    expect(corruptDataReason(h, 'BTC/USDT')).toMatch(
      /^data_health: corrupt candles in the last 8784 \(3 with a missing, infinite, zero or negative price or volume\), the first opening 2024-01-01T10:00:00\.000Z;/,
    );
    expect(corruptDataReason(checkDataHealth(sample, fresh), 'BTC/USDT')).toBeNull();
  });

  it('allows a configured grace before the newest candle counts as stale', () => {
    const late = { ...fresh, asOfMs: lastClose + HOUR + 60_000 };
    expect(health(ts, late).stale).toBe(true);
    expect(health(ts, { ...late, staleGraceMs: 5 * 60_000 }).stale).toBe(false);
  });
});

describe('checkDataHealth with fromIndex (a backtest judges the newest window of its longer view)', () => {
  it('judges exactly what a live run loading only that window would judge, gaps, bad candles and zero volume included', () => {
    const n = 600;
    const cols = {
      ts: [...ts.slice(0, n)],
      open: [...sample.open.slice(0, n)],
      high: [...sample.high.slice(0, n)],
      low: [...sample.low.slice(0, n)],
      close: [...sample.close.slice(0, n)],
      volume: [...sample.volume.slice(0, n)],
    };
    cols.ts.splice(50, 3); // a gap before the window
    cols.ts.splice(400, 2); // a gap inside it
    for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) {
      cols[k].splice(50, 3);
      cols[k].splice(400, 2);
    }
    cols.high[450] = cols.low[450]! - 1; // a broken candle inside
    cols.volume.fill(0, 10, 20); // dead volume only before the window
    const asOfMs = cols.ts.at(-1)! + HOUR;
    for (const from of [0, 1, 60, 395, 420, cols.ts.length - 1]) {
      const window = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.slice(from)]));
      const opts = { timeframeMs: HOUR, asOfMs, minBars: 100 };
      expect(checkDataHealth(cols, { ...opts, fromIndex: from })).toEqual(checkDataHealth(window as typeof cols, opts));
    }
    expect(checkDataHealth(cols, { timeframeMs: HOUR, asOfMs, minBars: 100, fromIndex: 60 }).zero_volume_streak).toBe(
      0,
    );
    expect(checkDataHealth(cols, { timeframeMs: HOUR, asOfMs, minBars: 100, fromIndex: 0 }).zero_volume_streak).toBe(
      10,
    );
  });
});
