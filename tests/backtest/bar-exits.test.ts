/**
 * Stops and targets inside one bar (backtest/bar-exits.ts). Slippage 5 bps: a long's exits
 * are sells at price x 0.9995, a short's are buys at price x 1.0005.
 */
import { describe, expect, it, vi } from 'vitest';
import { exitsForBar, type RuledPosition } from '../../backtest/bar-exits.ts';
import type { PriceCandle } from '../../trading/paper/candle-exits.ts';

const S = 0.0005;
const T = Date.UTC(2024, 0, 1, 10);
const M15 = 15 * 60_000;
const D = 10;

/** Long 1 entered at 100, stop 95, targets 110 (half) and 120 (rest). */
const long = (): RuledPosition => ({
  side: 'long',
  entry_price: 100,
  qty: 1,
  open_qty: 1,
  stop_price: 95,
  take_profits: [
    { price: 110, fraction: 0.5, filled_at: null },
    { price: 120, fraction: 0.5, filled_at: null },
  ],
});
/** Short 2 entered at 100, stop 105, targets 90 (half) and 80 (rest). */
const short = (): RuledPosition => ({
  side: 'short',
  entry_price: 100,
  qty: 2,
  open_qty: 2,
  stop_price: 105,
  take_profits: [
    { price: 90, fraction: 0.5, filled_at: null },
    { price: 80, fraction: 0.5, filled_at: null },
  ],
});
const bar = (open: number, high: number, low: number, close: number, ts = T): PriceCandle => ({
  ts,
  open,
  high,
  low,
  close,
});
/** Four 15m candles inside the hour bar T. */
const quarters = (...c: [number, number, number, number][]): PriceCandle[] =>
  c.map(([o, h, l, cl], i) => bar(o, h, l, cl, T + i * M15));

const noFiner = () => Promise.reject(new Error('finer bars must not be loaded for an unambiguous bar'));

describe('exitsForBar', () => {
  it('a bar that touches only a target fills it at the bar without loading finer bars', async () => {
    const finer = vi.fn(noFiner);
    // high 112 >= 110 (TP1), < 120; low 96 > 95: TP1 only, 0.5 x qty at 110 x 0.9995 = 109.945
    const r = await exitsForBar(long(), bar(100, 112, 96, 111), S, finer);
    expect(finer).not.toHaveBeenCalled();
    expect(r.resolved).toBe('bar');
    expect(r.exits).toHaveLength(1);
    expect(r.exits[0]).toMatchObject({ kind: 'take_profit', qty: 0.5, rung: 0, ts: T });
    expect(r.exits[0]!.price).toBeCloseTo(109.945, D);
  });

  it('stop and target in the same bar without finer candles: the stop is assumed first and closes everything', async () => {
    const finer = vi.fn(async () => null);
    // low 94 <= 95 and high 112 >= 110: ambiguous; no finer data -> stop at 95 x 0.9995 = 94.9525 for the whole 1
    const r = await exitsForBar(long(), bar(100, 112, 94, 100), S, finer);
    expect(finer).toHaveBeenCalledTimes(1);
    expect(r.resolved).toBe('stop_first');
    expect(r.exits).toHaveLength(1);
    expect(r.exits[0]).toMatchObject({ kind: 'stop_loss', qty: 1, rung: null, ts: T });
    expect(r.exits[0]!.price).toBeCloseTo(94.9525, D);
  });

  it('finer candles where the target comes first: the target fills, then the stop takes the rest when hit later', async () => {
    const pos = long();
    const finer = vi.fn(async () =>
      quarters(
        [100, 105, 99, 104], // nothing
        [104, 111, 103, 106], // TP1 110: 0.5 at 109.945
        [106, 107, 96, 97], // nothing (low 96 > 95)
        [97, 98, 94, 95], // stop 95: the remaining 0.5 at 94.9525
      ),
    );
    const r = await exitsForBar(pos, bar(100, 111, 94, 95), S, finer);
    expect(r.resolved).toBe('finer');
    expect(r.exits.map((e) => [e.kind, e.qty, e.rung, e.ts])).toEqual([
      ['take_profit', 0.5, 0, T + M15],
      ['stop_loss', 0.5, null, T + 3 * M15],
    ]);
    expect(r.exits[0]!.price).toBeCloseTo(109.945, D);
    expect(r.exits[1]!.price).toBeCloseTo(94.9525, D);
    // The walk works on a copy: the caller's position is changed only by the fills it applies.
    expect(pos).toEqual(long());
  });

  it('breakeven after the first target: between finer candles the stop moves to the entry, which takes the rest', async () => {
    const pos = { ...long(), breakeven_after_tp: 1 };
    const r = await exitsForBar(pos, bar(100, 111, 94, 95), S, async () =>
      quarters(
        [100, 111, 99, 106], // TP1 110: 0.5 at 109.945; the stop moves to 100 for the next quarter
        [106, 107, 99, 99.5], // low 99 <= 100: the rest at 100 x 0.9995 = 99.95, not at the old stop 95
        [99, 99, 94, 95],
        [95, 96, 94, 95],
      ),
    );
    expect(r.exits.map((e) => [e.kind, e.qty, e.rung, e.ts])).toEqual([
      ['take_profit', 0.5, 0, T],
      ['stop_loss', 0.5, null, T + M15],
    ]);
    expect(r.exits[1]!.price).toBeCloseTo(99.95, D);
    expect(pos.stop_price).toBe(95); // the walk's copy moved, not the caller's position
  });

  it('finer candles where the target comes first and the stop is never hit: the target only', async () => {
    // The hour touched 94 per its own high/low, but the quarters (which cover it) never go below 99: a data
    // inconsistency the walk resolves by the finer picture: TP1 in the second quarter, no stop.
    const r = await exitsForBar(long(), bar(100, 111, 94, 108), S, async () =>
      quarters([100, 101, 99, 100], [100, 111, 99, 108], [108, 109, 107, 108], [108, 109, 107, 108]),
    );
    expect(r.resolved).toBe('finer');
    expect(r.exits.map((e) => [e.kind, e.qty, e.rung, e.ts])).toEqual([['take_profit', 0.5, 0, T + M15]]);
    expect(r.exits[0]!.price).toBeCloseTo(109.945, D);
  });

  it('finer candles where the stop comes first: the stop only, later targets are not filled', async () => {
    const r = await exitsForBar(long(), bar(100, 125, 94, 124), S, async () =>
      quarters(
        [100, 101, 94, 96], // stop 95: all 1 at 94.9525
        [96, 112, 96, 111], // would be TP1
        [111, 121, 110, 120], // would be TP2
        [120, 125, 119, 124],
      ),
    );
    expect(r.resolved).toBe('finer');
    expect(r.exits).toHaveLength(1);
    expect(r.exits[0]).toMatchObject({ kind: 'stop_loss', qty: 1, ts: T });
    expect(r.exits[0]!.price).toBeCloseTo(94.9525, D);
  });

  it('a finer candle touching both rungs fills both in ladder order, the last taking the remainder', async () => {
    const r = await exitsForBar(long(), bar(100, 121, 94, 100), S, async () =>
      quarters([100, 121, 99, 119], [119, 119, 94, 95], [95, 96, 94, 95], [95, 96, 94, 95]),
    );
    // Quarter 1: TP1 0.5 at 110 x 0.9995, TP2 0.5 at 120 x 0.9995 = 119.94; nothing left for the stop.
    expect(r.exits.map((e) => [e.kind, e.qty, e.rung, e.ts])).toEqual([
      ['take_profit', 0.5, 0, T],
      ['take_profit', 0.5, 1, T],
    ]);
    expect(r.exits[1]!.price).toBeCloseTo(119.94, D);
  });

  it('a gap through the stop fills at the (worse) open, long and short, with or without finer candles', async () => {
    // Long: opens at 90 below the stop 95 -> sell at 90 x 0.9995 = 89.955
    const l = await exitsForBar(long(), bar(90, 91, 85, 88), S, noFiner);
    expect(l.resolved).toBe('bar');
    expect(l.exits).toHaveLength(1);
    expect(l.exits[0]).toMatchObject({ kind: 'stop_loss', qty: 1 });
    expect(l.exits[0]!.price).toBeCloseTo(89.955, D);
    // Short: opens at 108 above the stop 105 -> buy at 108 x 1.0005 = 108.054
    const s = await exitsForBar(short(), bar(108, 109, 89, 95), S, async () =>
      quarters([108, 109, 104, 105], [105, 106, 89, 90], [90, 91, 89, 90], [90, 95, 89, 95]),
    );
    // The bar also reaches the short's TP1 (low 89 <= 90), so it is ambiguous and walked: the first quarter gaps through the stop.
    expect(s.resolved).toBe('finer');
    expect(s.exits).toHaveLength(1);
    expect(s.exits[0]).toMatchObject({ kind: 'stop_loss', qty: 2, ts: T });
    expect(s.exits[0]!.price).toBeCloseTo(108.054, D);
  });

  it('a gap through a target fills at the (better) open', async () => {
    // Long opens at 115 above TP1 110: TP1 0.5 at 115 x 0.9995 = 114.9425; high 118 < 120
    const r = await exitsForBar(long(), bar(115, 118, 112, 116), S, noFiner);
    expect(r.exits).toHaveLength(1);
    expect(r.exits[0]!.price).toBeCloseTo(114.9425, D);
    // Short opens at 85 below TP1 90: buy 1 at 85 x 1.0005 = 85.0425
    const s = await exitsForBar(short(), bar(85, 86, 84, 85), S, noFiner);
    expect(s.exits.map((e) => [e.kind, e.qty, e.rung])).toEqual([['take_profit', 1, 0]]);
    expect(s.exits[0]!.price).toBeCloseTo(85.0425, D);
  });

  it('ambiguity looks at the next unfilled rung: a filled TP1 inside the bar does not make a stop bar ambiguous', async () => {
    const pos = long();
    pos.open_qty = 0.5;
    pos.take_profits = [
      { ...pos.take_profits[0]!, filled_at: new Date(T - 3_600_000).toISOString() },
      pos.take_profits[1]!,
    ];
    // high 112 reaches the filled TP1 only; low 94 hits the stop: not ambiguous -> stop on the bar, the 0.5 left
    const r = await exitsForBar(pos, bar(100, 112, 94, 96), S, noFiner);
    expect(r.resolved).toBe('bar');
    expect(r.exits.map((e) => [e.kind, e.qty])).toEqual([['stop_loss', 0.5]]);
    // high 121 reaches TP2 too: ambiguous, and without finer candles the stop is assumed first
    const amb = await exitsForBar(pos, bar(100, 121, 94, 96), S, async () => null);
    expect(amb.resolved).toBe('stop_first');
    expect(amb.exits.map((e) => [e.kind, e.qty])).toEqual([['stop_loss', 0.5]]);
  });
});
