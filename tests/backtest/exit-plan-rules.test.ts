/**
 * The exit plan's rules (trading/exit-rules.ts) in the backtest and the paper broker, on the
 * same hand-made candles: the replay (runBacktest with the scripted_trades_v1 fixture) and the
 * paper broker's monitor over the same market must book the same exits at the same prices.
 * Bars as in replay.test.ts: index k opens at T0 + k h, default o 100 h 101 l 99 c 100; the
 * long is decided at the close of bar 10 and fills at bar 11's open 101 x 1.0005 = 101.0505.
 * Costs: fee 10 bps, slippage 5 bps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { upsertCandles } from '../../market/candles-repo.ts';
import { ensureInstrument } from '../../market/instruments-repo.ts';
import type { BackendKind } from '../../store/db.ts';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import { monitorPositions } from '../../trading/paper/position-monitor.ts';
import { listTrades } from '../../trading/positions-repo.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { addSlots, fixtureBacktestOptions, registerFixtures } from '../helpers/pipeline.ts';

const D = 10;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 30;
const SYMBOL = 'BTC/USDT';
const scope = tradingScope('TEST');
type Ohlc = [open: number, high: number, low: number, close: number];

const path: Record<number, Ohlc> = {
  11: [101, 102, 100.5, 101.5],
  12: [101.5, 103, 101, 102],
  13: [102, 106, 101.5, 105],
  14: [105, 111, 104, 108], // TP1 110
  15: [108, 109, 100, 100.5], // back through the entry 101.0505, far above the stop 95
};
const ENTRY = 101.0505;

function bars(overrides: Record<number, Ohlc>) {
  const rows = Array.from({ length: N }, (_, k) => overrides[k] ?? ([100, 101, 99, 100] as Ohlc));
  return {
    ts: rows.map((_, k) => T0 + k * H),
    open: rows.map((r) => r[0]),
    high: rows.map((r) => r[1]),
    low: rows.map((r) => r[2]),
    close: rows.map((r) => r[3]),
    volume: rows.map(() => 10),
  };
}

const take_profits = [
  { price: 110, fraction: 0.5 },
  { price: 120, fraction: 0.5 },
];

/** The exits (kind, qty, price, time) both ways, and the paper's audit of stop moves. */
async function bothWays(kind: BackendKind, rules: { breakeven_after_tp?: number; time_stop_bars?: number }) {
  const db = await freshDb(kind);
  opened.push(db);
  await ensureInstrument(db, 'binance', SYMBOL);
  await upsertCandles(db, { exchange: 'binance', symbol: SYMBOL, timeframe: '1h' }, bars(path));
  await registerFixtures(db, ['risk/scripted_trades_v1.ts']);
  const entry = { at: new Date(T0 + 11 * H).toISOString(), side: 'buy', qty: 2, stop: 95, take_profits, ...rules };
  await addSlots(db, [{ stage: 'risk', module_id: 'scripted_trades_v1', params: { entries: [entry] } }]);
  const r = await runBacktest(
    db,
    fixtureBacktestOptions({ symbols: [SYMBOL], from: new Date(T0 + 4 * H), to: new Date(T0 + N * H) }),
  );
  // The paper broker: the same order filled at bar 11's open, then monitored to the end.
  const paper = await tradingTx(db, scope, async (tx) => {
    const opened = await paperBroker(scope).open(tx, {
      exchange: 'binance',
      symbol: SYMBOL,
      timeframe: '1h',
      category: 'major',
      side: 'buy',
      qty: 2,
      entry: 101,
      stop: 95,
      take_profits,
      leverage: 1,
      risk_amount: 12,
      risk_pct: 0.12,
      strategy_id: null,
      strategy_version: null,
      source_module: null,
      run_id: null,
      proposal_id: null,
      as_of: new Date(T0 + 11 * H),
      ...rules,
    });
    if (!opened.ok) throw new Error(opened.message);
    await monitorPositions(tx, scope, new Date(T0 + N * H));
    return listTrades(tx, scope, { limit: 10 });
  });
  const moves = await db.query<{ details: { old_stop: number; new_stop: number; reason: string } }>(
    "select details from audit_trail where action_type = 'STOP_MOVED' order by seq",
  );
  const closes = await db.query<{ details: { reason?: string } }>(
    "select details from audit_trail where action_type = 'POSITION_CLOSED' order by seq",
  );
  return { trades: r.trades, paper: paper.reverse().filter((t) => t.kind !== 'entry'), moves, closes };
}

const opened: TestDb[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.dispose();
});

describe.each(backends)('the exit plan in the backtest and the paper broker (%s)', (kind) => {
  it('breakeven after the first target: the rest is stopped at the entry, not at the original stop', async () => {
    const { trades, paper, moves } = await bothWays(kind, { breakeven_after_tp: 1 });
    // TP1 at bar 14: 1 at 110 x 0.9995 = 109.945. Bar 15 falls to 100: the stop, moved to the entry
    // 101.0505 before it, fills at 101.0505 x 0.9995 (the open 108 is above it).
    expect(paper.map((t) => [t.kind, t.qty])).toEqual([
      ['take_profit', 1],
      ['stop_loss', 1],
    ]);
    expect(paper[0]!.price).toBeCloseTo(109.945, D);
    expect(paper[1]!.price).toBeCloseTo(ENTRY * 0.9995, D);
    expect(moves.map((m) => [m.details.old_stop, m.details.new_stop])).toEqual([[95, ENTRY]]);
    expect(moves[0]!.details.reason).toMatch(/breakeven after 1 take-profit/);
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ exit_reason: 'stop_loss', exit_ts: T0 + 15 * H, stop: 95 });
    expect(trades[0]!.exit_price).toBeCloseTo((paper[0]!.price + paper[1]!.price) / 2, D);
    const paperNet = paper.reduce((s, t) => s + Number(t.realized_pnl) - Number(t.fee), 0);
    const entryFee = ENTRY * 2 * 0.001;
    expect(trades[0]!.pnl).toBeCloseTo(paperNet - entryFee, D);
  });

  it('breakeven from the start (0): the first bar that comes back to the entry closes it there', async () => {
    const { trades, paper } = await bothWays(kind, { breakeven_after_tp: 0 });
    // Bar 11 opens 101 below the entry fill 101.0505: a stop-market at 101.0505 fills at the open 101.
    expect(paper.map((t) => [t.kind, t.qty])).toEqual([['stop_loss', 2]]);
    expect(paper[0]!.price).toBeCloseTo(101 * 0.9995, D);
    expect(trades[0]).toMatchObject({ exit_reason: 'stop_loss', exit_ts: T0 + 11 * H });
    expect(trades[0]!.exit_price).toBeCloseTo(paper[0]!.price, D);
  });

  it('the time stop closes at the close of the third bar when no target was hit', async () => {
    const { trades, paper, closes } = await bothWays(kind, { time_stop_bars: 3 });
    // Bars 11, 12, 13 without a target: closed at bar 13's close 105 x 0.9995.
    expect(paper.map((t) => [t.kind, t.qty])).toEqual([['close', 2]]);
    expect(paper[0]!.price).toBeCloseTo(105 * 0.9995, D);
    expect(paper[0]!.ts.getTime()).toBe(T0 + 14 * H);
    expect(closes.map((c) => c.details.reason)).toEqual(['time_stop']);
    expect(trades[0]).toMatchObject({ exit_reason: 'time_stop', exit_ts: T0 + 14 * H });
    expect(trades[0]!.exit_price).toBeCloseTo(paper[0]!.price, D);
  });

  it('a target hit before the time stop turns it off: the ladder and the original stop carry on', async () => {
    const { trades, paper } = await bothWays(kind, { time_stop_bars: 4 });
    // Bar 14 (the fourth) fills TP1 first; without breakeven the stop stays at 95, which nothing reaches.
    expect(paper.map((t) => t.kind)).toEqual(['take_profit']);
    expect(trades[0]).toMatchObject({ exit_reason: 'end_of_test' });
  });
});
