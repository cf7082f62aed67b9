/**
 * Prepared columns change where indicators are computed, never what is decided: the default
 * pipeline and every shipped strategy, replayed over real shipped candles (BTC/USDT and
 * ETH/USDT 1h, data/sample) once with each module's `prepare` run once over the replay and
 * once with it run over the as-of view at every bar (what a live run does with the candles
 * it loaded: the reference), must decide the same at every bar, make the same trades (time,
 * price, quantity, fees) and report the same metrics.
 *
 * Allowed explained differences: none. A recursive indicator seeded at the series start
 * instead of the window start could flip a near-tie; both paths here seed at the replay's
 * first loaded candle, so none is expected, and any would be listed here with its size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest, type BacktestResult } from '../../backtest/run-backtest.ts';
import { defaultPipelineId, packStrategies } from '../../registry/default-pack.ts';
import type { TestDb } from '../helpers/db.ts';
import { demoDb } from '../helpers/pipeline.ts';

const span = { from: new Date('2024-05-01T00:00:00Z'), to: new Date('2024-05-15T00:00:00Z') };

/** The report without what differs between any two runs (ids, clocks, speed). */
function comparable(r: BacktestResult) {
  const { backtest_id: _id, created_at: _at, duration_ms: _d, replay_ms: _r, bars_per_second: _b, ...rest } = r.report;
  return rest;
}

describe('prepared columns: once per replay equals per bar (the live path), bar for bar', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb('pglite');
  }, 300_000);
  afterAll(async () => db?.dispose());

  const cases: [string, string | null][] = [
    ['the default pipeline', null],
    ...packStrategies.map((s): [string, string | null] => [`strategy ${s.id}`, s.id]),
  ];
  it.each(cases)(
    '%s',
    async (_label, strategyId) => {
      const replay = (preparePerBar: boolean) =>
        runBacktest(
          db,
          {
            symbols: ['BTC/USDT', 'ETH/USDT'],
            exchange: 'binance',
            timeframe: '1h',
            ...span,
            pipelineId: defaultPipelineId,
            strategyId,
            initialEquity: 10_000,
            feeBps: 10,
            slippageBps: 5,
            historyBars: 300,
            env: process.env,
          },
          { record: () => true, preparePerBar },
        );
      const once = await replay(false);
      const perBar = await replay(true);
      // The comparison must cover prepared modules that ran and bars that traded.
      expect(once.report.module_errors).toEqual([]);
      expect(once.prepared.markets[0]!.plan.slots.some((s) => s.module.prepare)).toBe(true);
      expect(once.recorded.length).toBe(once.report.bars_evaluated);

      expect(perBar.recorded.map((b) => [b.symbolIndex, b.barIndex, b.fingerprint])).toEqual(
        once.recorded.map((b) => [b.symbolIndex, b.barIndex, b.fingerprint]),
      );
      expect(perBar.trades).toEqual(once.trades);
      expect(perBar.curves).toEqual(once.curves);
      expect(comparable(perBar)).toEqual(comparable(once));
    },
    300_000,
  );
});
