/**
 * Context values are read-only. In a live run the candle columns are frozen
 * (as-of-view.ts fixedCandles), so a module that writes into them, e.g. sorts
 * `candles.close` in place, fails and the rest of the pipeline sees the true candles. A
 * backtest's columns grow bar by bar and cannot be frozen, so the replay checks its views
 * after every decision (the newest candle and one other) and in full at the end, and stops
 * with a clear error rather than report results computed on altered candles.
 *
 * Pipeline: median_sort_v1 (agent, sorts candles.close in place, skip_module on error) then
 * scripted_trades_v1. Closes fall 130, 129, ..., so sorting changes the newest close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { upsertCandles } from '../../market/candles-repo.ts';
import { ensureInstrument } from '../../market/instruments-repo.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { addSlots, fixtureBacktestOptions, forceActive, registerFixtures, runOptions } from '../helpers/pipeline.ts';
import { expectTraderError } from '../helpers/errors.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 30;
const at = (k: number) => new Date(T0 + (k + 1) * H).toISOString();

let db: TestDb | undefined;
afterEach(async () => {
  await db?.dispose();
  db = undefined;
});

describe('a module writing into the candle view', () => {
  it('fails live, and stops the backtest with the place it found, storing nothing', async () => {
    db = await freshDb('pglite');
    await ensureInstrument(db, 'binance', 'BTC/USDT');
    const ks = Array.from({ length: N }, (_, k) => k);
    await upsertCandles(
      db,
      { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
      {
        ts: ks.map((k) => T0 + k * H),
        open: ks.map((k) => 131 - k),
        high: ks.map((k) => 131.5 - k),
        low: ks.map((k) => 129.5 - k),
        close: ks.map((k) => 130 - k),
        volume: ks.map(() => 10),
      },
    );
    await registerFixtures(db, ['agents/median_sort_v1.ts', 'risk/scripted_trades_v1.ts']);
    await forceActive(db, ['median_sort_v1']);
    await addSlots(db, [
      { stage: 'agent', module_id: 'median_sort_v1', on_error: 'skip_module' },
      {
        stage: 'risk',
        module_id: 'scripted_trades_v1',
        params: {
          entries: [{ at: at(10), side: 'buy', qty: 1, stop: 100, take_profits: [{ price: 200, fraction: 1 }] }],
        },
      },
    ]);

    // Live at the close of bar 10 on the same 11 candles the backtest's view holds then (bars 0..10).
    const live = await runPipeline(db, runOptions({ asOf: new Date(at(10)), historyBars: 11, minBars: 5 }));
    expect(live.errors).toEqual([
      {
        symbol: 'BTC/USDT',
        module_id: 'median_sort_v1',
        message: expect.stringMatching(/^module threw: Cannot assign to read only property/),
      },
    ]);
    expect(live.symbols[0]!.intents[0]!.entry).toBe(120);

    const backtest = runBacktest(db, fixtureBacktestOptions({ from: new Date(T0 + 4 * H), to: new Date(T0 + N * H) }));
    await expectTraderError(
      backtest,
      'MODULE_FAILED',
      /^A module of the plan wrote into its read-only view of BTC\/USDT: the candles or an indicator shared between modules \(found at 2024-01-01T05:00:00.000Z: candles.close\[4\] is 130 where the candle says 126\); the backtest stopped/,
    );
    expect(await db.query('select 1 from backtest_runs')).toEqual([]);
  });
});
