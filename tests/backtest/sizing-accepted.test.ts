/**
 * What the shipped sizers size, the backtest trades: the default pipeline and the three pack
 * strategies over real BTC/USDT and ETH/USDT 1h candles (January and February 2024, the paper account's default
 * 10 bps fee and 5 bps slippage) see no gate refusal for the free balance and no entry skipped
 * for want of cash. Both markets decide at the same closes, so the second sizes against what
 * the first's pending order left (the backtest hands modules the gate's own free cash).
 * Before the sizers and the gate shared one cost function, a full-size intent was refused
 * ("margin and fees of 10010.00 exceed the free balance of 10000.00") hundreds of times a year.
 * The database only holds the candles here; the subject is the replay's arithmetic (PGlite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { packStrategies } from '../../registry/default-pack.ts';
import type { TestDb } from '../helpers/db.ts';
import { demoDb, fixtureBacktestOptions } from '../helpers/pipeline.ts';

describe('backtests of the shipped plans trade what their sizers sized', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb('pglite');
  }, 300_000);
  afterAll(async () => db?.dispose());

  it.each([null, ...packStrategies.map((s) => s.id)])(
    'strategy %s: no refusal for the free balance, no entry skipped for cash',
    async (strategyId) => {
      const { report } = await runBacktest(
        db,
        fixtureBacktestOptions({
          symbols: ['BTC/USDT', 'ETH/USDT'],
          from: new Date('2024-01-01T00:00:00Z'),
          to: new Date('2024-03-01T00:00:00Z'),
          strategyId,
          historyBars: 500,
          env: process.env,
        }),
      );
      expect(report.total.trades).toBeGreaterThan(0);
      expect(report.gate_refusals.filter((r) => /free balance/.test(r.reason))).toEqual([]);
      expect(report.skipped_entries.filter((r) => /wallet/.test(r.reason))).toEqual([]);
    },
    120_000,
  );
});
