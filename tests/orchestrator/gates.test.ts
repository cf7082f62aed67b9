import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { sendMarkets } from '../../backtest/replay.ts';
import { checkLookahead } from '../../backtest/lookahead-check.ts';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { getModule, listModules } from '../../registry/registry-repo.ts';
import { seedDefaults } from '../../orchestrator/seed.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { addSlots, demoDb, fixtureEnv, importSample, registerFixtures, runOptions } from '../helpers/pipeline.ts';

const backtestOptions = (o: Partial<Parameters<typeof runBacktest>[1]> = {}): Parameters<typeof runBacktest>[1] => ({
  symbols: ['BTC/USDT'],
  exchange: 'binance',
  timeframe: '1h',
  from: new Date('2024-03-01T00:00:00Z'),
  to: new Date('2024-03-08T00:00:00Z'),
  pipelineId: 'default',
  strategyId: null,
  initialEquity: 10_000,
  feeBps: 10,
  slippageBps: 5,
  historyBars: 500,
  env: fixtureEnv,
  ...o,
});

describe.each(backends)('registration gates on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.close());

  it('every shipped module passes: deterministic, no look-ahead, a bounded warm-up that grows with its slowest indicator', async () => {
    db = await freshDb(kind);
    await seedDefaults(db);
    const rows = await listModules(db);
    expect(
      rows.filter((r) => r.gate?.status !== 'passed' || !r.is_active).map((r) => [r.module_id, r.gate?.reasons]),
    ).toEqual([]);
    const warmup = Object.fromEntries(rows.map((r) => [r.module_id, r.gate!.warmup_bars]));
    // EMA 50 and ADX 14 converge to 1e-9 only after several hundred bars; a session clock needs no history at all.
    expect(warmup.trend_volatility_v1).toBeGreaterThanOrEqual(500);
    expect(warmup.session_timing_v1).toBe(25);
    // Gaps among the 30 candles before the last, with their two leading candles: fvg reads 33 bars back.
    expect((await getModule(db, 'fvg_v1')).gate!.read_depth_bars).toBe(33);
    expect(warmup.fvg_v1).toBeGreaterThanOrEqual(33);
    // A prepared column may rest on every bar before it (null: from the first), so the warm-up is
    // measured, and covers breakout's 20-bar channel before the last bar.
    expect((await getModule(db, 'breakout_v1')).gate!.read_depth_bars).toBeNull();
    expect(warmup.breakout_v1).toBeGreaterThanOrEqual(21);
    expect(rows.every((r) => r.gate!.contract_kept)).toBe(true);
    // Modules fed by trend_volatility_v1 are judged with it run before them.
    expect((await getModule(db, 'breakout_v1')).gate!.producers).toEqual(['trend_volatility_v1@1.0.0']);
  });

  it('a module that reads past the decision time fails and stays inactive, with the reason', async () => {
    db = await freshDb(kind);
    await registerFixtures(db, ['agents/peek_ahead_v1.ts']);
    const row = await getModule(db, 'peek_ahead_v1');
    expect(row.is_active).toBe(false);
    expect(row.gate).toMatchObject({ status: 'failed', lookahead_free: false, deterministic: true });
    expect(row.gate!.reasons.join(' ')).toMatch(
      /read candles\.close\[\d+\] but only \d+ bar\(s\) are closed at the decision time: modules may not look ahead/,
    );
  });

  it('a module that throws on the sample is recorded failed and inactive, with when and why', async () => {
    db = await freshDb(kind);
    await registerFixtures(db, ['agents/throws_v1.ts', 'agents/reads_undeclared_v1.ts']);
    const throws = await getModule(db, 'throws_v1');
    expect(throws.is_active).toBe(false);
    expect(throws.gate).toMatchObject({ status: 'failed', contract_kept: false, bars_evaluated: 12 });
    expect(throws.gate!.reasons).toEqual([
      expect.stringMatching(/^throws at 2024-12-\d\dT\d\d:00:00\.000Z: fixture exploded on purpose$/),
    ]);
    expect((await getModule(db, 'reads_undeclared_v1')).gate!.reasons).toEqual([
      expect.stringMatching(/^reads 'volatility' at .+ without declaring it in input_keys \(it declares candles\)/),
    ]);
  });

  it('a module that is not a function of its input fails the determinism gate', async () => {
    db = await freshDb(kind);
    await registerFixtures(db, ['agents/coin_flip_v1.ts']);
    const row = await getModule(db, 'coin_flip_v1');
    expect(row.is_active).toBe(false);
    expect(row.gate).toMatchObject({ status: 'failed', deterministic: false });
  });

  it('a row inserted by SQL is gated on its first load: a failing one is deactivated and the run refused', async () => {
    db = await freshDb(kind);
    await importSample(db, 'BTC');
    await db.query(
      `insert into module_registry (module_id, logic_type, version, script_path, is_active, input_keys, output_keys)
       values ('peek_ahead_v1', 'agent', '1.0.0', 'modules/agents/peek_ahead_v1.ts', true, '{candles}', '{signals}')`,
    );
    await addSlots(db, [{ stage: 'agent', module_id: 'peek_ahead_v1' }]);
    await expectTraderError(
      runPipeline(db, runOptions()),
      'CONFIG_INVALID',
      /module peek_ahead_v1: failed its registration gates and was deactivated: looks ahead/,
    );
    expect((await getModule(db, 'peek_ahead_v1')).is_active).toBe(false);
  });
});

describe.each(backends)('backtest --check-lookahead on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.close());

  it('the default pack re-decides every sampled bar identically on candles cut at the bar', async () => {
    db = await demoDb(kind);
    const r = await runBacktest(db, backtestOptions({ symbols: ['BTC/USDT', 'ETH/USDT'], env: process.env }), {
      lookaheadSamples: 15,
    });
    expect(r.report.lookahead).toEqual({ sampled: 30, differences: 0, peeks: 0, findings: [] });
    expect(r.report.module_errors).toEqual([]);
  });

  it('catches a module that peeks one bar ahead, even when forced into the pipeline past its gate', async () => {
    db = await freshDb(kind);
    await importSample(db, 'BTC');
    // Registered by SQL with a hash already set: the first-load gate never runs, as if an operator forced it in.
    await registerFixtures(db, ['agents/peek_ahead_v1.ts']);
    await db.query("update module_registry set is_active = true, gate = null where module_id = 'peek_ahead_v1'");
    await addSlots(db, [{ stage: 'agent', module_id: 'peek_ahead_v1' }]);
    const r = await runBacktest(db, backtestOptions(), { lookaheadSamples: 5 });
    const bars = r.report.bars_evaluated;
    expect(r.report.module_errors).toEqual([
      expect.objectContaining({ module_id: 'peek_ahead_v1', count: bars, lookahead: bars }),
    ]);
    expect(r.report.lookahead!.peeks).toBe(bars + 5);
    expect(r.report.lookahead!.findings[0]).toMatchObject({
      kind: 'peeked',
      detail: expect.stringMatching(/^peek_ahead_v1 read past the decision time at 168 bar\(s\)/),
    });
    expect(r.trades).toEqual([]);
  });

  it('reports a decision that was made seeing one more bar than its time allows', async () => {
    db = await demoDb(kind);
    const r = await runBacktest(db, backtestOptions({ env: process.env }), { record: () => true });
    // The 22nd bar decided (the history loaded before --from is the plan's warm-up, so the replay starts there).
    const at = r.prepared.markets[0]!.firstDecision + 21;
    const rec = r.recorded.find((b) => b.barIndex === at);
    const sandbox = new Sandbox();
    await sendMarkets(sandbox, r.prepared.markets, 3_600_000);
    expect((await checkLookahead(sandbox, r.prepared.markets, [rec!], [])).differences).toBe(0);
    // As if the replay had decided at the bar before with this bar already in view.
    const leaked = await checkLookahead(sandbox, r.prepared.markets, [{ ...rec!, barIndex: at - 1 }], []);
    await sandbox.close();
    expect(leaked).toMatchObject({
      sampled: 1,
      differences: 1,
      peeks: 0,
      findings: [{ kind: 'differs', symbol: 'BTC/USDT' }],
    });
    expect(leaked.findings[0]!.detail).toMatch(/^full-data replay: .+; candles cut at the bar: .+/);
  });
});
