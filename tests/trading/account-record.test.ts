import { afterEach, describe, expect, it } from 'vitest';
import { computeMetrics } from '../../backtest/metrics.ts';
import { accountRecord } from '../../trading/account-record.ts';
import { closeAllPositions } from '../../trading/paper/paper-broker.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { haltSceneAsOf, seedHaltScene } from '../helpers/halt-scene.ts';

/**
 * The account's record (trading/account-record.ts) on both backends: the recorded
 * portfolio value becomes one point a day (the day's last value, carried over quiet days)
 * measured from the starting balance, and the closed positions give the trade figures.
 */
const scope = tradingScope('TEST');
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 1);
const at = (day: number, hour: number) => new Date(D0 + day * DAY + hour * 3_600_000);

describe.each(backends)('the account record on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const record = (now: Date) => tradingTx(db, scope, (tx) => accountRecord(tx, scope, now));

  it('nothing recorded: no curve and no trades', async () => {
    db = await freshDb(kind);
    expect(await record(at(0, 12))).toMatchObject({
      days: 0,
      metrics: { trades: 0, total_return_pct: 0, max_drawdown_pct: 0, sharpe: null },
    });
  });

  it('one point a day, the last value of each, carried over quiet days up to today; from the starting balance', async () => {
    db = await freshDb(kind);
    await db.exec(`update trading_test.state set initial_balance = 10000 where id = 1`);
    const history: [Date, number][] = [
      [at(0, 9), 10_200],
      [at(0, 20), 10_000],
      [at(1, 10), 9_000],
      [at(3, 1), 9_500],
      [at(3, 23), 9_900],
    ];
    for (const [t, equity] of history)
      await db.query('insert into trading_test.equity_history (recorded_at, equity, peak_equity) values ($1, $2, $3)', [
        t,
        equity,
        10_200,
      ]);
    const r = await record(at(4, 6));
    const expected = computeMetrics({
      initial_equity: 10_000,
      curve: { ts: [0, 1, 2, 3, 4].map((d) => D0 + d * DAY), equity: [10_000, 9_000, 9_000, 9_900, 9_900] },
      trades: [],
      timeframe_ms: DAY,
      exposed_bars: 0,
    });
    expect(r.days).toBe(5);
    expect(r.metrics).toEqual(expected);
    expect(r.metrics.max_drawdown_pct).toBeCloseTo(10, 10);
    expect(r.metrics.total_return_pct).toBeCloseTo(-1, 10);
    expect(r.metrics.sortino).not.toBeNull();
  });

  it('the closed positions give the trades, after fees, with their R', async () => {
    db = await freshDb(kind);
    await seedHaltScene(db, 'HALT_ONLY', 0);
    await tradingTx(db, scope, (tx) => closeAllPositions(tx, scope, haltSceneAsOf));
    const [p] = await db.query<{ realized_pnl: string; fees_paid: string }>(
      'select realized_pnl, fees_paid from trading_test.positions',
    );
    const net = Number(p!.realized_pnl) - Number(p!.fees_paid);
    expect(net).toBeLessThan(0);
    const r = await record(haltSceneAsOf);
    expect(r.metrics).toMatchObject({ trades: 1, wins: 0, losses: 1, win_rate_pct: 0 });
    expect(r.metrics.net_pnl).toBeCloseTo(net, 8);
    expect(r.metrics.expectancy_r).toBeCloseTo(net / 100, 8);
  });
});
