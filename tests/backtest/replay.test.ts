/**
 * The replay end to end (runBacktest) on a tiny hand-made market: 30 hourly BTC/USDT
 * candles, a one-module pipeline (tests/fixtures/modules/risk/scripted_trades_v1.ts) that
 * emits intents at scripted bar closes, so every fill and every point of the equity curve
 * can be worked out by hand. Costs: fee 10 bps, slippage 5 bps, equity 10,000, the TEST
 * account's medium profile (1% risk per trade).
 *
 * Bars: index k opens at T0 + k h; the default bar is o 100 h 101 l 99 c 100. from = bar 4,
 * historyBars 5 -> bars 0..3 are the warm-up, bars 4..29 are decided (26 curve points,
 * point j at the close of bar 4 + j). An intent decided at the close of bar k is an
 * as_of of T0 + (k + 1) h and fills at the open of bar k + 1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadBacktest } from '../../backtest/backtest-repo.ts';
import { runBacktest, type BacktestResult } from '../../backtest/run-backtest.ts';
import type { BacktestOptions } from '../../backtest/backtest-setup.ts';
import { upsertCandles } from '../../market/candles-repo.ts';
import { ensureInstrument } from '../../market/instruments-repo.ts';
import type { BackendKind } from '../../store/db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { addSlots, fixtureBacktestOptions, registerFixtures } from '../helpers/pipeline.ts';

const D = 10;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 30;
const FIRST = 4;
const SYMBOL = 'BTC/USDT';
const ETH = 'ETH/USDT';
const at = (k: number) => new Date(T0 + (k + 1) * H).toISOString(); // as_of of the close of bar k

type Ohlc = [open: number, high: number, low: number, close: number];

/** The 30 bars: default o 100 h 101 l 99 c 100 (scaled by base / 100), with `overrides` by index. */
function bars(overrides: Record<number, Ohlc> = {}, base = 100) {
  const c = {
    ts: [] as number[],
    open: [] as number[],
    high: [] as number[],
    low: [] as number[],
    close: [] as number[],
    volume: [] as number[],
  };
  for (let k = 0; k < N; k++) {
    const [o, h, l, cl] = overrides[k] ?? [base, base * 1.01, base * 0.99, base];
    c.ts.push(T0 + k * H);
    c.open.push(o);
    c.high.push(h);
    c.low.push(l);
    c.close.push(cl);
    c.volume.push(10);
  }
  return c;
}

/** The long of the main scenario: bar 11 opens 101 (entry), bar 14 reaches TP1 110, bar 17 reaches TP2 120. */
const longPath: Record<number, Ohlc> = {
  11: [101, 102, 100.5, 101.5],
  12: [101.5, 103, 101, 102],
  13: [102, 106, 101.5, 105],
  14: [105, 111, 104, 108],
  15: [108, 109, 107, 108],
  16: [108, 109, 107, 108],
  17: [115, 121, 114, 119],
};
const longEntry = {
  at: at(10),
  side: 'buy',
  qty: 2,
  stop: 95,
  take_profits: [
    { price: 110, fraction: 0.5 },
    { price: 120, fraction: 0.5 },
  ],
};

interface Scenario {
  candles?: Record<number, Ohlc>;
  /** A second market, ETH/USDT around 2,000 (o 2000 h 2020 l 1980 c 2000), with these overrides. */
  eth?: Record<number, Ohlc>;
  entries?: unknown[];
  exit_at?: string[];
  exit_all_at?: { at: string; symbol: string }[];
  /** Extra finer candles (15m) for the same market. */
  finer?: { ts: number; ohlc: Ohlc }[];
}

async function setUp(db: TestDb, s: Scenario): Promise<void> {
  await ensureInstrument(db, 'binance', SYMBOL);
  await upsertCandles(db, { exchange: 'binance', symbol: SYMBOL, timeframe: '1h' }, bars(s.candles));
  if (s.eth) {
    await ensureInstrument(db, 'binance', ETH);
    await upsertCandles(db, { exchange: 'binance', symbol: ETH, timeframe: '1h' }, bars(s.eth, 2000));
  }
  if (s.finer) {
    await upsertCandles(
      db,
      { exchange: 'binance', symbol: SYMBOL, timeframe: '15m' },
      {
        ts: s.finer.map((f) => f.ts),
        open: s.finer.map((f) => f.ohlc[0]),
        high: s.finer.map((f) => f.ohlc[1]),
        low: s.finer.map((f) => f.ohlc[2]),
        close: s.finer.map((f) => f.ohlc[3]),
        volume: s.finer.map(() => 1),
      },
    );
  }
  await registerFixtures(db, ['risk/scripted_trades_v1.ts']);
  await addSlots(db, [
    {
      stage: 'risk',
      module_id: 'scripted_trades_v1',
      params: { entries: s.entries ?? [], exit_at: s.exit_at ?? [], exit_all_at: s.exit_all_at ?? [] },
    },
  ]);
}

const options = (o: Partial<BacktestOptions> = {}): BacktestOptions =>
  fixtureBacktestOptions({ symbols: [SYMBOL], from: new Date(T0 + FIRST * H), to: new Date(T0 + N * H), ...o });

async function scenario(
  kind: BackendKind,
  s: Scenario,
  hooks?: Parameters<typeof runBacktest>[2],
): Promise<{ db: TestDb; r: BacktestResult }> {
  const db = await freshDb(kind);
  opened.push(db);
  await setUp(db, s);
  return { db, r: await runBacktest(db, options(s.eth ? { symbols: [SYMBOL, ETH] } : {}), hooks) };
}

const opened: TestDb[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.dispose();
});

/** The report without what differs between two runs of the same backtest (id, clock, timings). */
const stable = (r: BacktestResult['report']) => {
  const { backtest_id: _id, created_at: _at, duration_ms: _d, replay_ms: _r, bars_per_second: _b, ...rest } = r;
  return rest;
};

describe.each(backends)('backtest replay on %s', (kind) => {
  it('a long with two targets: next-open entry, both rungs, exact pnl, curve and metrics', async () => {
    const { r } = await scenario(kind, { candles: longPath, entries: [longEntry] }, { record: (_s, k) => k === 10 });
    // Decided at the close of bar 10 (close 100) -> entry = 100 in the intent; it did not see bar 11.
    expect(r.recorded).toHaveLength(1);
    const [outcome, , intents] = JSON.parse(r.recorded[0]!.fingerprint) as [
      string,
      string,
      { entry: number; qty: number }[],
    ];
    expect(outcome).toBe('trade_intent');
    expect(intents[0]).toMatchObject({ entry: 100, qty: 2 });
    expect(r.recorded[0]!.inputs.run.as_of).toBe(at(10));

    expect(r.trades).toHaveLength(1);
    const t = r.trades[0]!;
    // Entry at bar 11's open 101 x 1.0005 = 101.0505 (not the decision close 100): notional 202.101, fee 0.202101.
    // TP1 (bar 14, high 111): sell 1 at 110 x 0.9995 = 109.945: pnl 8.8945, fee 0.109945.
    // TP2 (bar 17, high 121, open 115 < 120): sell 1 at 120 x 0.9995 = 119.94: pnl 18.8895, fee 0.11994.
    // net = 8.8945 + 18.8895 - (0.202101 + 0.109945 + 0.11994) = 27.784 - 0.431986 = 27.352014
    // risk = 2 x (101.0505 - 95) = 12.101; planned rr = (120 - 101.0505) / 6.0505; exit = (109.945 + 119.94) / 2
    expect(t).toMatchObject({
      trade_no: 1,
      symbol: SYMBOL,
      side: 'long',
      qty: 2,
      decided_at: T0 + 11 * H,
      entry_ts: T0 + 11 * H,
      stop: 95,
      targets: [110, 120],
      exit_ts: T0 + 17 * H,
      exit_reason: 'take_profit',
      bars_held: 6,
      source_module: 'scripted_trades_v1',
      contributors: [{ module_id: 'scripted_trades_v1', version: '1.0.0', stage: 'risk' }],
    });
    expect(t.entry_price).toBeCloseTo(101.0505, D);
    expect(t.fees).toBeCloseTo(0.431986, D);
    expect(t.pnl).toBeCloseTo(27.352014, D);
    expect(t.initial_risk).toBeCloseTo(12.101, D);
    expect(t.r_multiple).toBeCloseTo(27.352014 / 12.101, D);
    expect(t.planned_rr).toBeCloseTo(18.9495 / 6.0505, D);
    expect(t.exit_price).toBeCloseTo(114.9425, D);

    const curve = r.curves.get('*')!;
    expect(curve.ts).toEqual(Array.from({ length: N - FIRST }, (_, j) => T0 + (FIRST + j + 1) * H));
    // Bars 4..10: nothing open, 10,000.
    for (let j = 0; j <= 6; j++) expect(curve.equity[j]).toBe(10_000);
    // Close of bar 11 (point 7): cash 10,000 - 202.101 - 0.202101 + margin 202.101 + (101.5 - 101.0505) x 2 = 10,000.696899
    expect(curve.equity[7]).toBeCloseTo(10_000.696899, D);
    // Close of bar 14 (point 10): cash 9,797.696899 + 101.0505 + 8.8945 - 0.109945 = 9,907.531954; + margin 101.0505 + (108 - 101.0505) x 1
    expect(curve.equity[10]).toBeCloseTo(10_015.531954, D);
    // From the close of bar 17 on: 10,000 + 27.352014
    for (let j = 13; j < curve.equity.length; j++) expect(curve.equity[j]).toBeCloseTo(10_027.352014, D);
    // One market: its own curve (initial + its realised and unrealised P&L) is the account's, up to float rounding.
    const own = r.curves.get(SYMBOL)!;
    expect(own.ts).toEqual(curve.ts);
    own.equity.forEach((e, j) => expect(e).toBeCloseTo(curve.equity[j]!, 8));

    const m = r.report.total;
    expect(r.report.final_equity).toBeCloseTo(10_027.352014, D);
    expect(m).toMatchObject({ trades: 1, wins: 1, losses: 0, win_rate_pct: 100, profit_factor: null });
    expect(m.net_pnl).toBeCloseTo(27.352014, D);
    expect(m.fees).toBeCloseTo(0.431986, D);
    expect(m.total_return_pct).toBeCloseTo(0.27352014, D);
    expect(m.expectancy_r).toBeCloseTo(27.352014 / 12.101, D);
    expect(m.avg_rr).toBeCloseTo(18.9495 / 6.0505, D);
    // Open at the closes of bars 11..16: 6 of 26 points.
    expect(m.exposure_pct).toBeCloseTo((6 / 26) * 100, D);
    expect(r.report.bars_evaluated).toBe(26);
    expect(r.report.symbols[0]).toMatchObject({
      symbol: SYMBOL,
      bars: 26,
      decisions: { trade_intent: 1, no_trade: 25, blocked: 0, error: 0, not_run: 0 },
      refused_by_gate: 0,
      entries_skipped: 0,
    });
    expect(r.report.ratings).toEqual([
      expect.objectContaining({ module_id: 'scripted_trades_v1', version: '1.0.0', stage: 'risk', trades: 1 }),
    ]);
    expect(r.report.gate_refusals).toEqual([]);
    expect(r.report.module_errors).toEqual([]);
  });

  it('a short stopped by a gap fills at the open beyond the stop', async () => {
    const { r } = await scenario(kind, {
      candles: { 11: [100, 101, 99, 100], 13: [106, 107, 105, 106] },
      entries: [{ at: at(10), side: 'sell', qty: 1, stop: 104, take_profits: [{ price: 90, fraction: 1 }] }],
    });
    // Entry: sell 1 at bar 11's open 100 x 0.9995 = 99.95, fee 0.09995. Bar 13 opens at 106 above the stop 104:
    // buy at 106 x 1.0005 = 106.053, fee 0.106053; pnl = -(106.053 - 99.95) - 0.09995 - 0.106053 = -6.309003
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0]!;
    expect(t).toMatchObject({
      side: 'short',
      exit_reason: 'stop_loss',
      entry_ts: T0 + 11 * H,
      exit_ts: T0 + 13 * H,
      bars_held: 2,
    });
    expect(t.entry_price).toBeCloseTo(99.95, D);
    expect(t.exit_price).toBeCloseTo(106.053, D);
    expect(t.pnl).toBeCloseTo(-6.309003, D);
    expect(t.r_multiple).toBeCloseTo(-6.309003 / 4.05, D); // risk 1 x (104 - 99.95)
    expect(r.report.total).toMatchObject({ trades: 1, wins: 0, losses: 1, win_rate_pct: 0, profit_factor: 0 });
    expect(r.curves.get('*')!.equity.at(-1)).toBeCloseTo(10_000 - 6.309003, D);
  });

  it('an exit request fills at the next open; a position still open at the end closes at the last close', async () => {
    const { r } = await scenario(kind, {
      candles: {
        11: [101, 102, 100, 101],
        12: [101, 103, 100, 102],
        13: [102, 105, 101, 104],
        14: [105, 106, 104, 105],
      },
      entries: [
        { at: at(10), side: 'buy', qty: 1, stop: 90, take_profits: [{ price: 200, fraction: 1 }] },
        { at: at(27), side: 'buy', qty: 1, stop: 90, take_profits: [{ price: 200, fraction: 1 }] },
      ],
      exit_at: [at(13)],
    });
    expect(r.trades).toHaveLength(2);
    const [a, b] = r.trades as [BacktestResult['trades'][number], BacktestResult['trades'][number]];
    // a: buy at 101 x 1.0005 = 101.0505 (fee 0.1010505); exit requested at the close of bar 13, filled at bar 14's
    // open 105 x 0.9995 = 104.9475 (fee 0.1049475): pnl 3.897 - 0.205998 = 3.691002
    expect(a).toMatchObject({ exit_reason: 'exit_request', entry_ts: T0 + 11 * H, exit_ts: T0 + 14 * H, bars_held: 3 });
    expect(a.exit_price).toBeCloseTo(104.9475, D);
    expect(a.pnl).toBeCloseTo(3.691002, D);
    // b: decided at bar 27's close, bought at bar 28's open 100 x 1.0005 = 100.05 (fee 0.10005); closed at the last
    // close (bar 29, 100) x 0.9995 = 99.95 (fee 0.09995): pnl -0.1 - 0.2 = -0.3, at the last curve time
    expect(b).toMatchObject({ exit_reason: 'end_of_test', entry_ts: T0 + 28 * H, exit_ts: T0 + 30 * H, bars_held: 1 });
    expect(b.pnl).toBeCloseTo(-0.3, D);
    const curve = r.curves.get('*')!;
    // The last point is the cash after the final close: 10,000 + 3.691002 - 0.3
    expect(curve.equity.at(-1)).toBeCloseTo(10_003.391002, D);
    expect(r.report.final_equity).toBeCloseTo(10_003.391002, D);
    // The close of bar 28 marks b at 100: 10,003.691002 - 0.10005 fee + (100 - 100.05) = 10,003.540952
    expect(curve.equity.at(-2)).toBeCloseTo(10_003.540952, D);
  });

  it("an exit request for another market's position fills at that market's open, not the requesting market's", async () => {
    // Deciding BTC at the close of bar 13, the module asks to close the account's ETH position (positions.open lists
    // every market's). A live run closes a position at its own market's price (act-on-exits.ts, lastClosedPrice).
    const { r } = await scenario(kind, {
      eth: { 14: [2050, 2060, 2040, 2050] },
      entries: [
        { at: at(10), symbol: ETH, side: 'buy', qty: 1, stop: 1900, take_profits: [{ price: 2500, fraction: 1 }] },
      ],
      exit_all_at: [{ at: at(13), symbol: SYMBOL }],
    });
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0]!;
    // ETH bought at bar 11's open 2000 x 1.0005 = 2001 (fee 2.001); sold at ETH's bar 14 open 2050 x 0.9995 = 2048.975
    // (fee 2.048975): pnl 47.975 - 4.049975 = 43.925025. (Filled at BTC's open 100 it would be a loss of ~1,903.)
    expect(t).toMatchObject({ symbol: ETH, exit_reason: 'exit_request', entry_ts: T0 + 11 * H, exit_ts: T0 + 14 * H });
    expect(t.exit_price).toBeCloseTo(2048.975, D);
    expect(t.pnl).toBeCloseTo(43.925025, D);
  });

  it('never fills before the next bar: an intent decided at the last bar close does not trade', async () => {
    const { r } = await scenario(kind, {
      entries: [{ at: at(N - 1), side: 'buy', qty: 1, stop: 95, take_profits: [{ price: 110, fraction: 1 }] }],
    });
    expect(r.report.symbols[0]!.decisions.trade_intent).toBe(1);
    expect(r.trades).toEqual([]);
    expect(r.report.skipped_entries).toEqual([]);
    expect(r.report.final_equity).toBe(10_000);
    expect(r.curves.get('*')!.equity.every((e) => e === 10_000)).toBe(true);
  });

  it('skips an entry whose next open already gapped beyond its stop', async () => {
    const { r } = await scenario(kind, {
      candles: { 11: [94, 95, 93, 94] },
      entries: [{ at: at(10), side: 'buy', qty: 1, stop: 95, take_profits: [{ price: 110, fraction: 1 }] }],
    });
    expect(r.trades).toEqual([]);
    expect(r.report.symbols[0]!.entries_skipped).toBe(1);
    expect(r.report.skipped_entries).toEqual([{ reason: 'the next open # is already beyond the stop #', count: 1 }]);
  });

  it('the live risk gate refuses an intent that risks more than the profile allows, and passes one at the limit', async () => {
    const { r } = await scenario(kind, {
      candles: { 13: [100, 101, 99, 100] },
      entries: [
        // 30 x |100 - 95| = 150 = 1.5% of 10,000 > medium's 1%: refused.
        { at: at(10), side: 'buy', qty: 30, stop: 95, take_profits: [{ price: 110, fraction: 1 }] },
        // 20 x 5 = 100 = exactly 1%: passed; fills at bar 13's open 100 x 1.0005.
        { at: at(12), side: 'buy', qty: 20, stop: 95, take_profits: [{ price: 110, fraction: 1 }] },
      ],
    });
    expect(r.report.gate_refusals).toEqual([
      { reason: 'risk #% of equity exceeds the medium profile limit of #%', count: 1 },
    ]);
    expect(r.report.symbols[0]).toMatchObject({
      refused_by_gate: 1,
      decisions: expect.objectContaining({ trade_intent: 2 }),
    });
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]).toMatchObject({
      qty: 20,
      decided_at: T0 + 13 * H,
      entry_ts: T0 + 13 * H,
      exit_reason: 'end_of_test',
    });
    expect(r.trades[0]!.entry_price).toBeCloseTo(100.05, D);
  });

  it('halts past the profile drawdown (medium: 20%) and the gate then refuses every intent', async () => {
    const { r } = await scenario(kind, {
      candles: { 13: [0.01, 0.0101, 0.0099, 0.01] },
      entries: [
        { at: at(10), side: 'buy', qty: 20, stop: 95, take_profits: [{ price: 110, fraction: 1 }] }, // risk 20 x 5 = 1%
        { at: at(15), side: 'buy', qty: 1, stop: 95, take_profits: [{ price: 110, fraction: 1 }] },
      ],
    });
    // Bought 20 at 100.05 (margin 2,001, fee 2.001). Bar 13 gaps to 0.01: stop filled at 0.01 x 0.9995 = 0.009995,
    // pnl (0.009995 - 100.05) x 20 = -2,000.8001, fee 0.0001999; cash 10,000 - 2,003.001 + 0.1997001 = 7,997.1987001;
    // drawdown from the 10,000 peak = 20.028012999% > 20 -> halted at the close of bar 13.
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]!.pnl).toBeCloseTo(7_997.1987001 - 10_000, D);
    expect(r.report.halt).toMatchObject({ at: at(13), action: 'HALT_ONLY' });
    expect(r.report.halt!.drawdown_pct).toBeCloseTo(20.028012999, 8);
    expect(r.report.symbols[0]!.refused_by_gate).toBe(1);
    expect(r.report.gate_refusals.map((g) => g.reason)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('an emergency halt is active'),
        'drawdown #% is at or above the medium profile limit of #%',
      ]),
    );
    expect(r.report.final_equity).toBeCloseTo(7_997.1987001, D);
  });

  it('a pipeline that never trades: no trades, flat curve, total return 0, undefined ratios null', async () => {
    const { r } = await scenario(kind, {});
    expect(r.trades).toEqual([]);
    expect(r.report.final_equity).toBe(10_000);
    expect(r.curves.get('*')!.equity).toEqual(Array(N - FIRST).fill(10_000));
    expect(r.report.total).toEqual({
      trades: 0,
      wins: 0,
      losses: 0,
      net_pnl: 0,
      fees: 0,
      total_return_pct: 0,
      annualized_return_pct: 0,
      max_drawdown_pct: 0,
      sharpe: null,
      sortino: null,
      calmar: null,
      win_rate_pct: null,
      profit_factor: null,
      expectancy_r: null,
      avg_rr: null,
      exposure_pct: 0,
    });
    expect(r.report.symbols[0]!.decisions).toMatchObject({ no_trade: 26, trade_intent: 0 });
    expect(r.report.ratings).toEqual([]);
  });

  describe('a bar touching both the stop and a target', () => {
    // Long 2 from bar 11 (entry 101.0505, stop 95, TP1 110 for 1, TP2 120); bar 14 reaches 111 and 94.
    const candles: Record<number, Ohlc> = {
      ...longPath,
      14: [105, 111, 94, 96],
      15: [96, 97, 95.5, 96],
      16: [96, 97, 95.5, 96],
      17: [96, 97, 95.5, 96],
    };
    const Q = 15 * 60_000;
    const quarters = (n: number) =>
      (
        [
          [105, 111, 104, 108],
          [108, 108, 99, 100],
          [100, 100, 94, 95],
          [95, 97, 95, 96],
        ] as Ohlc[]
      )
        .slice(0, n)
        .map((ohlc, i) => ({ ts: T0 + 14 * H + i * Q, ohlc }));

    it('is resolved by 15m candles: TP1 first, then the stop for the rest', async () => {
      const { r } = await scenario(kind, { candles, entries: [longEntry], finer: quarters(4) });
      expect(r.report.same_bar_exits).toEqual({ finer: 1, stop_first: 0, finer_timeframes: { [SYMBOL]: ['15m'] } });
      const t = r.trades[0]!;
      // TP1 at 14:15: 1 at 109.945 (pnl 8.8945, fee 0.109945); stop at 14:30: 1 at 95 x 0.9995 = 94.9525
      // (pnl -6.098, fee 0.0949525); net = 2.7965 - (0.202101 + 0.109945 + 0.0949525) = 2.3895015
      expect(t).toMatchObject({ exit_reason: 'stop_loss', exit_ts: T0 + 14 * H + 2 * Q });
      expect(t.exit_price).toBeCloseTo((109.945 + 94.9525) / 2, D);
      expect(t.pnl).toBeCloseTo(2.3895015, D);
    });

    it('without complete finer candles the stop is assumed first for the whole position', async () => {
      // Three of the four quarters: a partial picture is not used.
      const { r } = await scenario(kind, { candles, entries: [longEntry], finer: quarters(3) });
      expect(r.report.same_bar_exits).toEqual({ finer: 0, stop_first: 1, finer_timeframes: { [SYMBOL]: ['15m'] } });
      const t = r.trades[0]!;
      // 2 at 94.9525: pnl 2 x -6.098 = -12.196; fees 0.202101 + 0.189905 -> -12.588006
      expect(t).toMatchObject({ exit_reason: 'stop_loss', exit_ts: T0 + 14 * H });
      expect(t.pnl).toBeCloseTo(-12.588006, D);
    });
  });

  it('stores the backtest: loadBacktest returns the identical report, trades and curves', async () => {
    const { db, r } = await scenario(kind, { candles: longPath, entries: [longEntry] });
    const stored = await loadBacktest(db, r.report.backtest_id);
    expect(stored.report).toEqual(r.report);
    expect(stored.trades).toEqual(r.trades);
    expect(stored.curves).toEqual(r.curves);
    const ratings = await db.query<{ metric_name: string; value: number }>(
      'select metric_name, value from performance_ratings where backtest_id = $1 order by metric_name',
      [r.report.backtest_id],
    );
    expect(ratings.find((x) => x.metric_name === 'trades')?.value).toBe(1);
  });
});

describe('backtest replay across backends', () => {
  it('gives identical trades, curves and report on PGlite and Postgres', async () => {
    const s: Scenario = {
      candles: { ...longPath, 20: [100, 101, 99, 100], 22: [106, 107, 105, 106] },
      entries: [longEntry, { at: at(20), side: 'sell', qty: 1, stop: 104, take_profits: [{ price: 90, fraction: 1 }] }],
    };
    const [a, b] = await Promise.all([scenario('pglite', s), scenario('postgres', s)]);
    expect(a.r.trades).toHaveLength(2);
    expect(b.r.trades).toEqual(a.r.trades);
    expect(b.r.curves).toEqual(a.r.curves);
    expect(stable(b.r.report)).toEqual(stable(a.r.report));
  });
});
