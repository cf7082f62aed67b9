/**
 * Independent backtests on worker threads (backtest/run-many.ts): run together they give
 * exactly what each gives alone, and no more than `workers` run at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestOptions } from '../../backtest/backtest-setup.ts';
import { runBacktests } from '../../backtest/run-many.ts';
import type { BacktestResult } from '../../backtest/run-backtest.ts';
import type { TestDb } from '../helpers/db.ts';
import { demoDb, fixtureBacktestOptions } from '../helpers/pipeline.ts';

/** January 2024 of the demo's candles, the shipped pack. */
const options = (symbol: string, strategyId: string | null): BacktestOptions =>
  fixtureBacktestOptions({
    symbols: [symbol],
    strategyId,
    from: new Date('2024-01-01T00:00:00Z'),
    to: new Date('2024-02-01T00:00:00Z'),
    historyBars: 500,
    env: process.env,
  });

/** What a backtest found, without what differs between two runs of it (ids, clock times). */
const found = (r: BacktestResult) => ({
  trades: r.trades,
  curves: [...r.curves],
  total: r.report.total,
  symbols: r.report.symbols,
  bars: r.report.bars_evaluated,
  errors: r.report.module_errors,
});

describe('backtests on worker threads', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb('pglite');
  }, 300_000);
  afterAll(async () => db?.dispose());

  it('gives each backtest the result it has alone, in order, at most `workers` at once', async () => {
    const list = [options('BTC/USDT', null), options('ETH/USDT', 'trend_following'), options('BTC/USDT', 'breakout')];
    const alone = await runBacktests(db, list, { workers: 1 });
    const done: number[] = [];
    let running = 0;
    let most = 0;
    const together = await runBacktests(db, list, {
      workers: 2,
      onStart: () => (most = Math.max(most, ++running)),
      onDone: (i) => {
        running--;
        done.push(i);
      },
    });
    expect(most).toBe(2);
    expect(together.map(found)).toEqual(alone.map(found));
    expect(together.map((r) => r.report.request.strategy_id)).toEqual([null, 'trend_following', 'breakout']);
    expect(alone.some((r) => r.trades.length > 0)).toBe(true);
    expect(done.sort()).toEqual([0, 1, 2]);
    // Every backtest saved its own report.
    const ids = new Set([...alone, ...together].map((r) => r.report.backtest_id));
    const saved = await db.query<{ n: number }>(
      'select count(*)::int as n from backtest_runs where backtest_id = any($1::uuid[])',
      [[...ids]],
    );
    expect(saved[0]!.n).toBe(6);
  }, 300_000);

  it('refuses a worker count that is not a whole number of at least 1, before any backtest', async () => {
    for (const workers of [0, 1.5, Number.NaN])
      await expect(runBacktests(db, [options('BTC/USDT', null)], { workers })).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: expect.stringMatching(/^Workers must be a whole number of at least 1/),
      });
  });

  it('throws the first failure and starts nothing after it', async () => {
    const bad = { ...options('DOGE/USDT', null) };
    const done: number[] = [];
    await expect(
      runBacktests(db, [bad, options('BTC/USDT', null), options('ETH/USDT', null)], {
        workers: 1,
        onDone: (i) => done.push(i),
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(done).toEqual([]);
  }, 120_000);
});
