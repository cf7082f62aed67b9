import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { spoilCandle, withOldCandles } from '../helpers/old-candles.ts';
import { demoAsOf, demoDb, runOptions } from '../helpers/pipeline.ts';

/**
 * One bad candle stored before the table refused such rows (here a NaN volume in BTC's
 * history, 5 hours before the demo's decision) must not sink a run or a backtest: that
 * symbol is blocked with data health's reason before any module runs, every other symbol
 * is decided normally, and a backtest decides the same bar as a live run would.
 */
const H = 3_600_000;
const badTs = demoAsOf.getTime() - 5 * H;
const symbols = ['BTC/USDT', 'ETH/USDT'];
const reason = new RegExp(
  '^data_health: corrupt candles in the last 1000 \\(1 with a missing, infinite, zero or negative price or volume\\), the first opening 2024-03-04T21:00:00\\.000Z; list them with `trader data check --symbols BTC/USDT` and remove them with --fix\\.$',
);

describe.each(backends)('a bad candle in the history, on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await demoDb(kind);
    await withOldCandles(db, (q) => spoilCandle(q, { symbol: 'BTC/USDT', ts: badTs }, { volume: 'NaN' }));
  });
  afterEach(async () => db.dispose());

  it('a run blocks that symbol with the data-health reason and decides the others', async () => {
    const summary = await runPipeline(db, runOptions({ symbols, historyBars: 1000, env: process.env }));
    expect(summary.status).toBe('succeeded');
    const [btc, eth] = summary.symbols;
    expect(btc).toMatchObject({ symbol: 'BTC/USDT', outcome: 'blocked', modules_run: 0 });
    expect(btc!.reason).toMatch(reason);
    expect(eth).toMatchObject({ symbol: 'ETH/USDT', outcome: 'trade_intent' });
    const logs = await db.query<{ event: string; message: string; outputs: { data_health: { bad_values: number } } }>(
      "select event, message, outputs from pipeline_log where run_id = $1 and symbol = 'BTC/USDT'",
      [summary.run_id],
    );
    expect(logs).toEqual([
      { event: 'decision', message: 'blocked', outputs: { data_health: expect.objectContaining({ bad_values: 1 }) } },
    ]);
  });

  it('a backtest over it completes, blocks exactly the bars whose window holds it, and agrees with a live run', async () => {
    const result = await runBacktest(
      db,
      {
        symbols,
        exchange: 'binance',
        timeframe: '1h',
        from: new Date('2024-03-04T00:00:00Z'),
        to: new Date('2024-03-06T00:00:00Z'),
        pipelineId: 'default',
        strategyId: null,
        initialEquity: 10_000,
        feeBps: 10,
        slippageBps: 5,
        historyBars: 1000,
        env: process.env,
      },
      { record: (symbol) => symbol === 'BTC/USDT' },
    );
    const [btc, eth] = result.report.symbols;
    // 48 bars, the bad one taken out; every later bar of the span has it among its 1000 newest candles.
    const after = (Date.parse('2024-03-06T00:00:00Z') - badTs) / H - 1;
    expect(btc!.decisions.blocked).toBe(after);
    expect(Object.values(btc!.decisions).reduce((a, b) => a + b, 0)).toBe(47);
    expect(eth!.decisions.blocked).toBe(0);
    expect(Object.values(eth!.decisions).reduce((a, b) => a + b, 0)).toBe(48);
    // The demo's bar (as of 02:00, the bad candle 5 bars back): the same outcome and words as the live run.
    const bar = result.recorded.find((r) => r.inputs.run.as_of === demoAsOf.toISOString())!;
    const [outcome, why] = JSON.parse(bar.fingerprint) as [string, string];
    expect(outcome).toBe('blocked');
    expect(why).toMatch(reason);
    const live = await runPipeline(db, runOptions({ symbols: ['BTC/USDT'], historyBars: 1000, env: process.env }));
    expect(live.symbols[0]!.reason).toBe(why);
  });
});
