import { describe, expect, it } from 'vitest';
import { aggregatePairs, sampleStdDev } from '../../analysis/correlation-aggregate.ts';
import { type Bars, findLeadMoves, measureMoves } from '../../analysis/lead-moves.ts';
import { altcoins, leadCoins, Q1_FROM, Q1_TO, q1Columns, q1Rows } from './q1-sample.ts';

/**
 * The pure lead-coin analysis (analysis/lead-moves.ts, correlation-aggregate.ts): on the
 * real 2024 Q1 sample against a straightforward computation from the CSV rows and one
 * event checked by hand, and on small synthetic cases with hand-computed numbers.
 */

const HOUR = 3_600_000;
const bars = (symbol: string): Bars => ({ symbol, ...q1Columns(symbol) });
const q1 = { thresholdPct: 2, delayBars: 1, stepMs: HOUR, fromMs: Q1_FROM, toMs: Q1_TO };

describe('lead-coin moves on the 2024 Q1 sample', () => {
  const measured = measureMoves(leadCoins.map(bars), altcoins.map(bars), q1);

  it('finds every 1h bar of BTC and ETH that moved more than 2 %, as a plain loop over the CSV rows does', () => {
    // Independent of lead-moves.ts: the rows as read from the files, one loop, one map per altcoin.
    const expected: { ts: number; base: string; alt: string; eff: number; delayed: number | null }[] = [];
    for (const lead of leadCoins)
      for (const [ts, open, , , close] of q1Rows(lead)) {
        const base = (close! / open! - 1) * 100;
        if (Math.abs(base) <= 2) continue;
        for (const alt of altcoins) {
          const rows = new Map(q1Rows(alt).map((r) => [r[0]!, r]));
          const same = rows.get(ts!)!;
          const next = rows.get(ts! + HOUR);
          expected.push({
            ts: ts!,
            base: lead,
            alt,
            eff: (same[4]! / same[1]! - 1) / (close! / open! - 1),
            delayed: next ? (next[4]! / next[1]! - 1) / (close! / open! - 1) : null,
          });
        }
      }
    expect(measured.leadMoves.filter((m) => m.base_coin === 'BTC/USDT')).toHaveLength(31);
    expect(measured.leadMoves.filter((m) => m.base_coin === 'ETH/USDT')).toHaveLength(38);
    expect(measured.events).toHaveLength(207);
    expect(expected).toHaveLength(207);
    expect(measured.missing).toEqual([]);
    const key = (e: { ts: number; base: string; alt: string }) => `${e.ts} ${e.base} ${e.alt}`;
    const byKey = new Map(expected.map((e) => [key(e), e]));
    for (const e of measured.events) {
      const x = byKey.get(key({ ts: e.timestamp, base: e.base_coin, alt: e.altcoin }))!;
      expect(x, key({ ts: e.timestamp, base: e.base_coin, alt: e.altcoin })).toBeDefined();
      expect(e.efficiency_score).toBeCloseTo(x.eff, 9);
      if (x.delayed === null) expect(e.delayed_efficiency_score).toBeNull();
      else expect(e.delayed_efficiency_score).toBeCloseTo(x.delayed, 9);
    }
  });

  it('measures BTC’s fall at 2024-01-03 11:00 UTC and SOL with it, as checked by hand', () => {
    const e = measured.events.find(
      (x) => x.timestamp === Date.UTC(2024, 0, 3, 11) && x.base_coin === 'BTC/USDT' && x.altcoin === 'SOL/USDT',
    )!;
    // BTC 45151.91 -> 43702.88: -3.2092 %; SOL 107.29 -> 103.42: -3.6070 %; SOL's next bar 103.42 -> 100.31: -3.0072 %.
    expect(e.base_delta).toBeCloseTo(-3.20923, 5);
    expect(e.altcoin_delta).toBeCloseTo(-3.60705, 5);
    expect(e.efficiency_score).toBeCloseTo(1.12396, 5);
    expect(e.delayed_altcoin_delta).toBeCloseTo(-3.00716, 5);
    expect(e.delayed_efficiency_score).toBeCloseTo(0.93703, 5);
    expect(e.altcoin_price).toBe(103.42);
    // SOL's 24 bars 2024-01-02 12:00 .. 2024-01-03 11:00, volume x close summed (awk over the CSV).
    expect(e.altcoin_volume_24h).toBeCloseTo(761855900.802, 2);
    // Without the 24 hours before it (the altcoin's candles start with the bar): no volume, not a guess.
    const cut = { ...bars('SOL/USDT') };
    const from = cut.ts.indexOf(e.timestamp);
    const alone = measureMoves(
      [bars('BTC/USDT')],
      [
        {
          ...cut,
          ts: cut.ts.slice(from),
          open: cut.open.slice(from),
          close: cut.close.slice(from),
          volume: cut.volume.slice(from),
        },
      ],
      q1,
    );
    expect(alone.events.find((x) => x.timestamp === e.timestamp)!.altcoin_volume_24h).toBeNull();
  });

  it('ranks the Q1 pairs: ETH’s altcoins follow it more consistently than BTC’s', () => {
    const pairs = aggregatePairs(measured.events);
    expect(pairs).toHaveLength(6);
    expect(pairs.map((p) => p.events)).toEqual(pairs.map((p) => (p.base_coin === 'BTC/USDT' ? 31 : 38)));
    for (const p of pairs) expect(p.hits).toBeLessThanOrEqual(p.events);
    expect(pairs.map((p) => p.avg_efficiency)).toEqual([...pairs.map((p) => p.avg_efficiency)].sort((a, b) => b - a));
    const ada = (base: string) => pairs.find((p) => p.altcoin === 'ADA/USDT' && p.base_coin === base)!;
    expect(ada('ETH/USDT')).toMatchObject({ events: 38, hits: 38 });
    expect(ada('ETH/USDT').std_efficiency!).toBeLessThan(ada('BTC/USDT').std_efficiency!);
  });
});

describe('lead-coin moves on synthetic bars', () => {
  const t0 = Date.UTC(2024, 0, 1);
  const series = (symbol: string, rows: [number, number, number][]): Bars => ({
    symbol,
    ts: rows.map((r) => t0 + r[0] * HOUR),
    open: rows.map((r) => r[1]),
    close: rows.map((r) => r[2]),
    volume: rows.map(() => 1),
  });
  // Bar 0 +3 %, bar 1 +0.5 %, bar 2 exactly -2 % (no move: "more than"), bar 3 -5 %.
  const lead = series('LEAD/USDT', [
    [0, 100, 103],
    [1, 103, 103.515],
    [2, 100, 98],
    [3, 200, 190],
  ]);
  // ALT: bar 0 +6 % (efficiency 2), bar 1 -3 % (delayed efficiency -1), no bar 3.
  const alt = series('ALT/USDT', [
    [0, 10, 10.6],
    [1, 10, 9.7],
    [2, 10, 10],
  ]);
  // TWO: bar 0 -2 % (-2/3), bar 1 +1 % (delayed 1/3), bar 3 -2.5 % (0.5), no bar 4.
  const two = series('TWO/USDT', [
    [0, 50, 49],
    [1, 1, 1.01],
    [3, 40, 39],
  ]);
  const s = { thresholdPct: 2, delayBars: 1, stepMs: HOUR, fromMs: t0, toMs: t0 + 10 * HOUR };

  it('takes only bars above the threshold; a bar of exactly 2 % is none', () => {
    expect(findLeadMoves(lead, s).map((m) => [m.timestamp, Number(m.base_delta.toFixed(6))])).toEqual([
      [t0, 3],
      [t0 + 3 * HOUR, -5],
    ]);
    expect(findLeadMoves(lead, { ...s, fromMs: t0 + HOUR })).toHaveLength(1);
    expect(findLeadMoves(lead, { ...s, toMs: t0 + 3 * HOUR })).toHaveLength(1);
  });

  it('measures each altcoin in the same and the delayed bar; a missing bar is skipped and counted, never filled', () => {
    const m = measureMoves([lead], [alt, two], s);
    expect(m.leadMoves).toHaveLength(2);
    const rows = m.events.map((e) => [
      e.timestamp === t0 ? 0 : 3,
      e.altcoin,
      Number(e.efficiency_score.toFixed(6)),
      e.delayed_efficiency_score === null ? null : Number(e.delayed_efficiency_score.toFixed(6)),
      e.altcoin_volume_24h,
    ]);
    expect(rows).toEqual([
      [0, 'ALT/USDT', 2, -1, null],
      [0, 'TWO/USDT', -0.666667, 0.333333, null],
      [3, 'TWO/USDT', 0.5, null, null],
    ]);
    expect(m.missing).toEqual([{ base_coin: 'LEAD/USDT', altcoin: 'ALT/USDT', timestamp: t0 + 3 * HOUR }]);
    // A lead coin listed among the altcoins is not measured against itself.
    expect(measureMoves([lead], [lead], s).events).toEqual([]);
  });

  it('aggregates per pair: mean, sample std-dev, hits, ranked by average efficiency', () => {
    const ev = (timestamp: number, altcoin: string, eff: number, delayed: number | null) => ({
      timestamp,
      base_coin: 'BTC/USDT',
      altcoin,
      efficiency_score: eff,
      delayed_efficiency_score: delayed,
    });
    // A: 2, 0.5, -1 -> mean 0.5; deviations 1.5, 0, -1.5 -> sum of squares 4.5 / (3 - 1) -> std 1.5; 2 hits.
    // B: one event of 0.8 -> mean 0.8, no std-dev (one event is no sample of spread).
    const pairs = aggregatePairs([
      ev(1, 'A/USDT', 2, 1),
      ev(2, 'A/USDT', 0.5, null),
      ev(3, 'A/USDT', -1, -0.5),
      ev(2, 'B/USDT', 0.8, null),
    ]);
    expect(pairs).toEqual([
      {
        base_coin: 'BTC/USDT',
        altcoin: 'B/USDT',
        events: 1,
        hits: 1,
        avg_efficiency: 0.8,
        std_efficiency: null,
        avg_delayed_efficiency: null,
        delayed_hits: 0,
        last_event: 2,
      },
      {
        base_coin: 'BTC/USDT',
        altcoin: 'A/USDT',
        events: 3,
        hits: 2,
        avg_efficiency: 0.5,
        std_efficiency: 1.5,
        avg_delayed_efficiency: 0.25,
        delayed_hits: 1,
        last_event: 3,
      },
    ]);
    expect(sampleStdDev([1, 1, 1])).toBe(0);
    expect(sampleStdDev([])).toBeNull();
  });
});
