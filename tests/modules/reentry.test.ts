import { describe, expect, it } from 'vitest';
import { manifest, run } from '../../modules/agents/reentry_v1.ts';
import { barsText, contextKeys, type ContextValue } from '../../sdk/index.ts';
import { sampleCandles, sliceCandles, syntheticCandles } from '../helpers/sample-candles.ts';
import { realView, sdk, signalRunner } from '../helpers/module-views.ts';

const params = manifest.params.parse({});
const signals = signalRunner(run, params);
const HOUR = 3_600_000;
type Positions = ContextValue<'positions'>;
type Closed = Positions['recent_closed'][number];
type Open = Positions['open'][number];

/** Hour h (may be fractional) of 2024-01-01 UTC as ISO; the synthetic candles open at whole hours from 00:00. */
const at = (h: number) => new Date(Date.UTC(2024, 0, 1) + h * HOUR).toISOString();
const iso = (ms: number) => new Date(ms).toISOString();

const stopped = (over: Partial<Closed> = {}): Closed => ({
  position_id: 7,
  symbol: 'BTC/USDT',
  side: 'long',
  entry: 104,
  opened_at: at(10),
  closed_at: at(16.5),
  realized_pnl: -12,
  close_reason: 'stop_loss',
  ...over,
});
const openPos = (over: Partial<Open> = {}): Open => ({
  position_id: 8,
  symbol: 'BTC/USDT',
  side: 'long',
  qty: 0.5,
  entry: 105,
  stop: 102,
  leverage: 1,
  opened_at: at(18),
  take_profits_left: 2,
  ...over,
});
const positions = (recent_closed: Closed[], open: Open[] = []): Positions =>
  contextKeys.positions.schema.parse({ open, recent_closed });

const upState: ContextValue<'market_state'> = {
  trend: 'up',
  regime: 'trending',
  adx: 25,
  ema_fast: 100,
  ema_slow: 100,
  ema_slope_pct: 0.5,
};
const downState: ContextValue<'market_state'> = { ...upState, trend: 'down' };
const vol2: ContextValue<'volatility'> = { atr: 2, atr_pct: 2, band: 'high' };
/** 20 hourly candles 00:00 .. 19:00, the last close 105. */
const candles = syntheticCandles([...new Array(19).fill(100), 105]);

const view = (
  recent: Closed[],
  over: {
    open?: Open[];
    market_state?: ContextValue<'market_state'>;
    volatility?: ContextValue<'volatility'>;
    candles?: ContextValue<'candles'>;
    symbol?: string;
  } = {},
) => ({
  positions: positions(recent, over.open ?? []),
  candles: over.candles ?? candles,
  volatility: over.volatility ?? vol2,
  market_state: over.market_state ?? upState,
  symbol: over.symbol ?? 'BTC/USDT',
});

describe('reentry_v1 manifest and params', () => {
  it('is an agent reading positions, candles, volatility, market_state and symbol', () => {
    expect(manifest.module_id).toBe('reentry_v1');
    expect(manifest.logic_type).toBe('agent');
    expect(manifest.input_keys).toEqual(['positions', 'candles', 'volatility', 'market_state', 'symbol']);
    expect(manifest.output_keys).toEqual(['signals']);
  });

  it('params: defaults, bounds and strictness', () => {
    expect(params).toEqual({
      max_bars_since_stop: 24,
      stop_atr_mult: 1.5,
      targets_r: [2, 3],
      full_reclaim_atr: 1,
      full_adx: 50,
    });
    for (const bad of [
      { max_bars_since_stop: 0 },
      { max_bars_since_stop: 1001 },
      { max_bars_since_stop: 2.5 },
      { stop_atr_mult: 0 },
      { stop_atr_mult: 11 },
      { targets_r: [] },
      { targets_r: [0] },
      { full_reclaim_atr: 0 },
      { full_adx: 0 },
      { max_bars: 24 },
    ]) {
      expect(manifest.params.safeParse(bad).success).toBe(false);
    }
  });
});

describe('reentry_v1 on hand-made candles', () => {
  it('stopped long, trend up, close 105 back above entry 104: exact stop, targets, rr, confidence and rationale', () => {
    const r = signals(view([stopped()]));
    // stop = 105 - 1.5 x 2 = 102; R = 3; targets 111, 114; reclaim (105 - 104) / 2 = 0.5 ATR
    // confidence = 0.5 x 25/50 + 0.5 x min(1, 0.5 / 1) = 0.5
    expect(r.list).toEqual([
      { direction: 'long', setup: 'reentry', entry: 105, stop: 102, targets: [111, 114], rr: 2, confidence: 0.5 },
    ]);
    expect(r.rationale).toBe(
      'Re-entry: BTC/USDT long #7 (entry 104.00) stopped at 2024-01-01T16:30:00.000Z, 3 bars ago (max 24); trend up and the last close 105.00 is back above that entry by 1.00 (0.50 ATR): ' +
        'long entry 105.00, stop 102.00 = entry - 1.5 x ATR 2.00 (R 3.00), targets 111.00, 114.00 at 2R, 3R, rr 2, confidence 0.50 (ADX 25.00/50, reclaim 0.50/1 ATR).',
    );
  });

  it('confidence caps each half at 1', () => {
    const r = signals(view([stopped({ entry: 101 })], { market_state: { ...upState, adx: 80 } }));
    // reclaim 2 ATR > full 1; ADX 80 > 50
    expect(r.list[0]!.confidence).toBe(1);
    const half = signals(view([stopped({ entry: 101 })], { market_state: { ...upState, adx: 0 } }));
    expect(half.list[0]!.confidence).toBe(0.5);
  });

  it('targets_r is sorted and the first is rr; stop_atr_mult scales the stop', () => {
    const r = signals(view([stopped()]), manifest.params.parse({ targets_r: [3, 1.5], stop_atr_mult: 1 }));
    // stop 103, R 2, targets 108, 111
    expect(r.list).toEqual([
      { direction: 'long', setup: 'reentry', entry: 105, stop: 103, targets: [108, 111], rr: 1.5, confidence: 0.5 },
    ]);
  });

  it('stopped short, trend down, close back below entry: the mirror', () => {
    const c = syntheticCandles([...new Array(19).fill(100), 95]);
    const r = signals(view([stopped({ side: 'short', entry: 96 })], { candles: c, market_state: downState }));
    // stop = 95 + 3 = 98; R = 3; targets 89, 86; reclaim 0.5 ATR
    expect(r.list).toEqual([
      { direction: 'short', setup: 'reentry', entry: 95, stop: 98, targets: [89, 86], rr: 2, confidence: 0.5 },
    ]);
    expect(r.rationale).toContain(
      'trend down and the last close 95.00 is back below that entry by 1.00 (0.50 ATR): short entry 95.00, stop 98.00 = entry + 1.5 x ATR 2.00',
    );
  });

  it('no history, or only other symbols: no signal', () => {
    expect(signals(view([])).list).toEqual([]);
    expect(signals(view([])).rationale).toBe(
      'No signal: no closed position on BTC/USDT in the history, so nothing to re-enter.',
    );
    expect(signals(view([stopped({ symbol: 'ETH/USDT' })])).rationale).toBe(
      'No signal: no closed position on BTC/USDT in the history, so nothing to re-enter.',
    );
  });

  it('the newest close must be a stop-out (a take-profit, a manual close or an unknown reason is not)', () => {
    for (const reason of ['take_profit', 'close', 'emergency_close']) {
      const r = signals(view([stopped({ close_reason: reason })]));
      expect(r.list).toEqual([]);
      expect(r.rationale).toBe(
        `No signal: the newest closed BTC/USDT long #7 (entry 104.00) closed at 2024-01-01T16:30:00.000Z by ${reason}, not by its stop (stop_loss).`,
      );
    }
    expect(signals(view([stopped({ close_reason: null })])).rationale).toContain(
      'by an unknown reason, not by its stop',
    );
    // an older stop-out behind a newer take-profit does not count
    const r = signals(
      view([
        stopped({ position_id: 6 }),
        stopped({ position_id: 9, closed_at: at(17.5), close_reason: 'take_profit', realized_pnl: 8 }),
      ]),
    );
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('#9');
  });

  it('max_bars_since_stop: at the limit fires, one bar more does not', () => {
    // closed 16:00 exactly: candles 16..19 = 4 bars
    const v = view([stopped({ closed_at: at(16) })]);
    expect(signals(v, manifest.params.parse({ max_bars_since_stop: 4 })).list).toHaveLength(1);
    const r = signals(v, manifest.params.parse({ max_bars_since_stop: 3 }));
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe(
      'No signal: BTC/USDT long #7 (entry 104.00) was stopped at 2024-01-01T16:00:00.000Z, 4 bars ago, more than max_bars_since_stop 3.',
    );
    // a stop inside the newest candle is 0 bars ago
    expect(signals(view([stopped({ closed_at: at(19.5) })])).rationale).toContain(
      'stopped at 2024-01-01T19:30:00.000Z, 0 bars ago (max 24)',
    );
  });

  it('a stop before the first candle in view is not known to be recent', () => {
    const r = signals(
      view([stopped({ opened_at: '2023-12-31T01:00:00.000Z', closed_at: '2023-12-31T20:00:00.000Z' })]),
    );
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe(
      'No signal: BTC/USDT long #7 (entry 104.00) was stopped at 2023-12-31T20:00:00.000Z, before the first candle in view (at least 20 bars ago), so it is not known to be within max_bars_since_stop 24.',
    );
  });

  it('an open position on this symbol blocks the re-entry; one on another symbol does not', () => {
    const r = signals(view([stopped()], { open: [openPos()] }));
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe(
      'No signal: BTC/USDT long #7 (entry 104.00) stopped at 2024-01-01T16:30:00.000Z, 3 bars ago (max 24), but a position on BTC/USDT is already open (#8 long 0.5 @ 105.00).',
    );
    expect(signals(view([stopped()], { open: [openPos({ symbol: 'ETH/USDT' })] })).list).toHaveLength(1);
  });

  it('the trend must agree again', () => {
    for (const trend of ['flat', 'down'] as const) {
      const r = signals(view([stopped()], { market_state: { ...upState, trend } }));
      expect(r.list).toEqual([]);
      expect(r.rationale).toBe(
        `No signal: BTC/USDT long #7 (entry 104.00) stopped at 2024-01-01T16:30:00.000Z, 3 bars ago (max 24), but the setup has not re-confirmed: the trend is ${trend}, a long re-entry needs up.`,
      );
    }
  });

  it('price must be back beyond the stopped entry (equal is not enough); both misses are named', () => {
    const r = signals(view([stopped({ entry: 105 })]));
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'but the setup has not re-confirmed: the last close 105.00 is not back above the stopped entry 105.00 (0.00 ATR).',
    );
    const both = signals(view([stopped({ entry: 108 })], { market_state: { ...upState, trend: 'flat' } }));
    expect(both.rationale).toContain(
      'the trend is flat, a long re-entry needs up; the last close 105.00 is not back above the stopped entry 108.00 (-1.50 ATR)',
    );
    // a short re-entry with the close above its entry
    const short = signals(view([stopped({ side: 'short', entry: 104 })], { market_state: downState }));
    expect(short.rationale).toContain('the last close 105.00 is not back below the stopped entry 104.00 (-0.50 ATR)');
  });

  it('ATR 0 or a stop below zero gives no signal', () => {
    expect(signals(view([stopped()], { volatility: { atr: 0, atr_pct: 0, band: 'low' } })).rationale).toContain(
      'but ATR is 0, so no ATR stop can be set',
    );
    const r = signals(view([stopped()], { volatility: { atr: 100, atr_pct: 95, band: 'high' } }));
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain(
      'the stop -45.00 does not give a positive risk and positive targets from entry 105.00',
    );
  });

  it('no candles: not enough data', () => {
    expect(signals(view([stopped()], { candles: syntheticCandles([]) })).rationale).toBe(
      'No signal: not enough data: need 1 candles, have 0 (the last close).',
    );
  });
});

describe('reentry_v1 on real BTC/USDT 1h candles', () => {
  it('re-enters long on 2024-01-27 21:00 UTC after a long from 41814.00 was stopped at 18:20', () => {
    const v = realView(645);
    const c = v.candles;
    expect(new Date(c.ts.at(-1)!).toISOString()).toBe('2024-01-27T21:00:00.000Z');
    expect(v.market_state.trend).toBe('up');
    // a long filled at the 15:00 candle's close, stopped at 41750 when the 18:00 candle's low 41745.26 went through it
    const i18 = c.ts.findIndex((t) => iso(t) === '2024-01-27T18:00:00.000Z');
    expect(c.low[i18]).toBe(41745.26);
    const pos = stopped({
      position_id: 31,
      entry: 41814,
      opened_at: '2024-01-27T16:00:00.000Z',
      closed_at: '2024-01-27T18:20:00.000Z',
      realized_pnl: -6.4,
    });
    const r = signals({ ...v, positions: positions([pos]), symbol: 'BTC/USDT' });
    expect(r.list).toHaveLength(1);
    const s = r.list[0]!;
    const atr = v.volatility.atr;
    const entry = 42150.59;
    const stop = entry - 1.5 * atr;
    const R = entry - stop;
    expect(s.direction).toBe('long');
    expect(s.setup).toBe('reentry');
    expect(s.entry).toBe(entry);
    expect(s.stop).toBeCloseTo(stop, 9);
    expect(s.targets[0]).toBeCloseTo(entry + 2 * R, 9);
    expect(s.targets[1]).toBeCloseTo(entry + 3 * R, 9);
    expect(s.rr).toBe(2);
    const reclaim = (entry - 41814) / atr; // about 2 ATR: the reclaim half is full
    expect(reclaim).toBeGreaterThan(1);
    expect(s.confidence).toBeCloseTo(0.5 * Math.min(1, v.market_state.adx / 50) + 0.5, 12);
    expect(r.rationale).toContain(
      'BTC/USDT long #31 (entry 41814.00) stopped at 2024-01-27T18:20:00.000Z, 3 bars ago (max 24); trend up and the last close 42150.59 is back above that entry by 336.59 (2.01 ATR)',
    );
    expect(r.rationale).toContain('stop 41898.85 = entry - 1.5 x ATR 167.82');
    // with max_bars_since_stop 2 the same stop is too old (19:00, 20:00, 21:00 = 3 bars)
    expect(
      signals(
        { ...v, positions: positions([pos]), symbol: 'BTC/USDT' },
        manifest.params.parse({ max_bars_since_stop: 2 }),
      ).rationale,
    ).toContain('3 bars ago, more than max_bars_since_stop 2');
  });

  it('re-enters short on 2024-01-18 20:00 UTC after a short from 41948.99 was stopped at 17:40', () => {
    const v = realView(428);
    expect(new Date(v.candles.ts.at(-1)!).toISOString()).toBe('2024-01-18T20:00:00.000Z');
    expect(v.market_state.trend).toBe('down');
    const pos = stopped({
      position_id: 32,
      side: 'short',
      entry: 41948.99,
      opened_at: '2024-01-18T17:00:00.000Z',
      closed_at: '2024-01-18T17:40:00.000Z',
      realized_pnl: -9.1,
    });
    const r = signals({ ...v, positions: positions([pos]), symbol: 'BTC/USDT' });
    expect(r.list).toHaveLength(1);
    const s = r.list[0]!;
    const atr = v.volatility.atr;
    const entry = 40835.6;
    const R = 1.5 * atr;
    expect(s.direction).toBe('short');
    expect(s.entry).toBe(entry);
    expect(s.stop).toBeCloseTo(entry + R, 9);
    expect(s.targets[0]).toBeCloseTo(entry - 2 * R, 9);
    expect(s.targets[1]).toBeCloseTo(entry - 3 * R, 9);
    expect(s.confidence).toBeCloseTo(
      0.5 * Math.min(1, v.market_state.adx / 50) + 0.5 * Math.min(1, (41948.99 - entry) / atr),
      12,
    );
    expect(r.rationale).toContain('stopped at 2024-01-18T17:40:00.000Z, 3 bars ago (max 24); trend down');
    // while a BTC short is still open there is nothing to re-enter
    const withOpen = signals({
      ...v,
      positions: positions([pos], [openPos({ side: 'short', entry: 41022.32, stop: 41500 })]),
      symbol: 'BTC/USDT',
    });
    expect(withOpen.list).toEqual([]);
  });

  it('a real long stopped in a down-trending hour does not re-enter', () => {
    const v = realView(428); // trend down
    const pos = stopped({
      position_id: 33,
      entry: 40700,
      opened_at: '2024-01-18T18:00:00.000Z',
      closed_at: '2024-01-18T19:10:00.000Z',
    });
    const r = signals({ ...v, positions: positions([pos]), symbol: 'BTC/USDT' });
    expect(r.list).toEqual([]);
    expect(r.rationale).toContain('but the setup has not re-confirmed: the trend is down, a long re-entry needs up');
  });

  it('is deterministic and does not mutate its input', () => {
    const v = {
      ...realView(645),
      positions: positions([stopped({ entry: 41814, closed_at: '2024-01-27T18:20:00.000Z' })]),
      symbol: 'BTC/USDT',
    };
    const before = JSON.stringify(v);
    const a = run(v, params, sdk);
    expect(run(v, params, sdk)).toEqual(a);
    expect(JSON.stringify(v)).toBe(before);
  });
});

describe('reentry_v1 on a long history: bars since the stop are counted without scanning it', () => {
  const all = sampleCandles(); // 2024, one candle per hour, no gaps

  it('at 200+ decision times, the whole history since 2024-01-01 gives the result of the history cut to start at the stop, for recent and old stops', () => {
    let compared = 0;
    for (let end = 300; end <= all.close.length; end += 41, compared++) {
      const ago = [1, 2, 5, 24, 25, 26, 300, end - 1][compared % 8]!;
      const at = end - ago; // the candle in which the stop filled
      const closedAt = all.ts[at]! + (compared % 2 === 0 ? 0 : 35 * 60_000);
      const side = compared % 3 === 0 ? 'short' : 'long';
      // the stopped entry a little on the far side of the last close, so re-entries happen
      const c = all.close[end - 1]!;
      const pos = stopped({
        side,
        entry: side === 'long' ? c * 0.995 : c * 1.005,
        opened_at: iso(closedAt - 5 * HOUR),
        closed_at: iso(closedAt),
      });
      const state = side === 'long' ? upState : downState;
      const long = signals(
        view([pos], {
          candles: sliceCandles(all, 0, end),
          market_state: state,
          volatility: { atr: c * 0.004, atr_pct: 0.4, band: 'normal' },
        }),
      );
      const short = signals(
        view([pos], {
          candles: sliceCandles(all, at, end),
          market_state: state,
          volatility: { atr: c * 0.004, atr_pct: 0.4, band: 'normal' },
        }),
      );
      expect(long).toEqual(short);
      const bars = all.ts.slice(0, end).filter((t) => t >= closedAt).length; // independent count
      expect(bars).toBe(compared % 2 === 0 ? ago : ago - 1);
      expect(long.rationale).toContain(`${barsText(bars)} ago`);
      expect(long.list).toHaveLength(bars <= params.max_bars_since_stop ? 1 : 0);
    }
    expect(compared).toBeGreaterThanOrEqual(200);
  });
});
