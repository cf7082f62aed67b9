import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBacktest, type BacktestResult } from '../../backtest/run-backtest.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import type { RunSummary } from '../../engine/run/run-summary.ts';
import { closeProbe, releaseSandbox, warmSandbox } from '../../sandbox/probe.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { addSlots, demoDb, importSample, registerFixtures, runOptions } from '../helpers/pipeline.ts';

/**
 * A run, backtest or gate hands its module worker back when it is done, and the next one
 * starts on it warm (a served run then costs its decisions, not a worker's start): the
 * results must not depend on whether the worker is new, and a worker in which a module was
 * stopped is never handed on.
 */
describe.each(backends)('the module worker kept warm between runs on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => closeProbe());
  afterEach(async () => {
    await closeProbe();
    await db?.dispose();
  });

  /** The pooled sandbox, looked at and handed back (warmSandbox takes it out of the pool). */
  const peekPool = async () => {
    const s = warmSandbox();
    const seen = { sandbox: s, workersStarted: s.workersStarted, reusable: s.reusable };
    await releaseSandbox(s);
    return seen;
  };
  const decisions = (s: RunSummary) =>
    s.symbols.map(({ symbol, outcome, reason, intents }) => ({ symbol, outcome, reason, intents }));

  it("the second run decides on the first run's worker, exactly as the first", async () => {
    db = await demoDb(kind);
    const options = runOptions({ symbols: ['BTC/USDT', 'ETH/USDT'], env: process.env });
    const first = await runPipeline(db, options);
    const pooled = await peekPool();
    expect(pooled).toMatchObject({ workersStarted: 1, reusable: true });
    const second = await runPipeline(db, options);
    expect(decisions(second)).toEqual(decisions(first));
    const after = await peekPool();
    expect(after.sandbox).toBe(pooled.sandbox);
    expect(after.workersStarted).toBe(1);
  });

  it('a worker in which a runaway module was stopped is ended, not handed to the next run', async () => {
    db = await freshDb(kind);
    await importSample(db, 'BTC');
    await importSample(db, 'ETH');
    await registerFixtures(db, ['agents/runaway_v1.ts']);
    await addSlots(db, [{ stage: 'agent', module_id: 'runaway_v1' }]);
    const summary = await runPipeline(db, runOptions({ symbols: ['ETH/USDT', 'BTC/USDT'] }));
    expect(summary.symbols.map((s) => s.outcome)).toEqual(['error', 'no_trade']);
    // The run's sandbox started a second worker after the stop: it was closed, so the pool holds a new, unstarted one.
    const pooled = await peekPool();
    expect(pooled.workersStarted).toBe(0);
  });

  it('a backtest on a reused worker equals one on a fresh worker, whatever the worker replayed before', async () => {
    db = await demoDb(kind);
    const span = { from: new Date('2024-05-01T00:00:00Z'), to: new Date('2024-05-08T00:00:00Z') };
    const options = (symbols: string[]) => ({
      symbols,
      exchange: 'binance',
      timeframe: '1h',
      ...span,
      pipelineId: 'default',
      strategyId: null,
      initialEquity: 10_000,
      feeBps: 10,
      slippageBps: 5,
      historyBars: 300,
      env: process.env,
    });
    const comparable = (r: BacktestResult) => {
      const {
        backtest_id: _id,
        created_at: _at,
        duration_ms: _d,
        replay_ms: _r,
        bars_per_second: _b,
        ...rest
      } = r.report;
      return rest;
    };
    const fresh = comparable(await runBacktest(db, options(['ETH/USDT'])));
    await runBacktest(db, options(['BTC/USDT', 'ETH/USDT']));
    const before = await peekPool();
    expect(before).toMatchObject({ workersStarted: 1, reusable: true });
    const reused = comparable(await runBacktest(db, options(['ETH/USDT'])));
    expect((await peekPool()).sandbox).toBe(before.sandbox);
    expect(reused).toEqual(fresh);
  });
});
