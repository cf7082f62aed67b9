import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { getRunTrace } from '../../engine/run/runs-repo.ts';
import { seedDefaults } from '../../orchestrator/seed.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { addSlots, forceActive, importSample, registerFixtures, runOptions } from '../helpers/pipeline.ts';

const fixtureFiles = [
  'context/fixture_state_v1.ts',
  'filters/block_all_v1.ts',
  'agents/always_long_v1.ts',
  'agents/throws_v1.ts',
  'agents/undeclared_key_v1.ts',
  'agents/bad_value_v1.ts',
  'confluence/first_signal_v1.ts',
];

/** The fixtures, those that fail their registration gates on purpose forced active: these tests are about the run loop. */
async function registerFixtureFiles(db: TestDb): Promise<void> {
  await registerFixtures(db, fixtureFiles);
  await forceActive(db, ['throws_v1', 'undeclared_key_v1', 'bad_value_v1']);
}

describe.each(backends)('pipeline runs on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
    await importSample(db, 'BTC');
  });
  afterEach(async () => db.dispose());

  it('runs the shipped default pipeline on real BTC/USDT and records every module, version and rationale', async () => {
    await importSample(db, 'ETH');
    await seedDefaults(db);
    const summary = await runPipeline(db, runOptions({ symbols: ['BTC/USDT', 'ETH/USDT'], env: process.env }));
    expect(summary.status).toBe('succeeded');
    expect(summary.symbols.map((s) => s.outcome)).toEqual(['trade_intent', 'trade_intent']);
    const btc = summary.symbols[0]!.intents[0]!;
    expect(btc.side).toBe('buy');
    expect(btc.risk_amount).toBeLessThanOrEqual(100 + 1e-6); // 1% of 10,000 paper equity
    const { run, logs } = await getRunTrace(db, summary.run_id);
    expect(run.status).toBe('succeeded');
    const ran = logs.filter((l) => l.symbol === 'BTC/USDT' && l.event === 'ran');
    expect(ran.map((l) => l.module_id)).toEqual([
      'trend_volatility_v1',
      'volatility_liquidity_v1',
      'breakout_v1',
      'n_of_m_v1',
      'fixed_fractional_v1',
    ]);
    expect(ran.map((l) => l.module_version)).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.0.0', '1.2.0']);
    for (const l of ran) {
      expect(l.rationale).toBeTruthy();
      expect(l.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(logs.find((l) => l.symbol === 'BTC/USDT' && l.event === 'decision')?.message).toBe('trade_intent');
  });

  it("loads at least the plan's recorded warm-up: a shorter --history is raised, logged, and decides as the warm-up does", async () => {
    await seedDefaults(db);
    const [row] = await db.query<{ gate: { warmup_bars: number } }>(
      "select gate from module_registry where module_id = 'trend_volatility_v1'",
    );
    const warmup = row!.gate.warmup_bars; // the default pipeline's longest (its EMA 50 and Wilder ATR/ADX)
    expect(warmup).toBeGreaterThan(300);
    const at = async (historyBars: number) => {
      const summary = await runPipeline(db, runOptions({ historyBars, env: process.env }));
      const { logs } = await getRunTrace(db, summary.run_id);
      return {
        decision: summary.symbols.map((s) => ({ outcome: s.outcome, reason: s.reason, intents: s.intents })),
        raised: logs.filter((l) => l.event === 'history_raised').map((l) => `${l.symbol}: ${l.message}`),
        outputs: logs.filter((l) => l.event === 'ran').map((l) => [l.module_id, l.outputs]),
      };
    };
    const short = await at(300);
    expect(short.raised).toEqual([
      `BTC/USDT: history raised from 300 to ${warmup} bars: trend_volatility_v1 needs ${warmup} bars of warm-up (measured by its registration gate) before its output stops depending on where the history starts`,
    ]);
    const full = await at(warmup);
    expect(full.raised).toEqual([]);
    // Every module saw the same candles: the EMAs and Wilder averages to the last bit, and so the decision.
    expect(short.outputs).toEqual(full.outputs);
    expect(short.decision).toEqual(full.decision);
  });

  it('isolates a throwing module (skip_module) and records it in error_log with its stack', async () => {
    await registerFixtureFiles(db);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'agent', module_id: 'throws_v1', on_error: 'skip_module' },
      { stage: 'agent', module_id: 'always_long_v1' },
      { stage: 'confluence', module_id: 'first_signal_v1' },
    ]);
    const summary = await runPipeline(db, runOptions());
    expect(summary.status).toBe('succeeded');
    expect(summary.symbols[0]!.ideas).toBe(1);
    expect(summary.errors).toEqual([
      { symbol: 'BTC/USDT', module_id: 'throws_v1', message: 'module threw: fixture exploded on purpose' },
    ]);
    const errors = await db.query<{ module_id: string; module_version: string; traceback: string; code: string }>(
      'select * from error_log',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ module_id: 'throws_v1', module_version: '1.0.0', code: 'MODULE_FAILED' });
    expect(errors[0]!.traceback).toContain('throws_v1.ts');
  });

  it('skip_symbol stops only that symbol; the others go on', async () => {
    await importSample(db, 'ETH');
    await registerFixtureFiles(db);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'agent', module_id: 'always_long_v1' },
      {
        stage: 'agent',
        module_id: 'throws_v1',
        on_error: 'skip_symbol',
        run_when: { key: 'symbol', op: 'eq', value: 'BTC/USDT' },
      },
    ]);
    const summary = await runPipeline(db, runOptions({ symbols: ['BTC/USDT', 'ETH/USDT'] }));
    expect(summary.status).toBe('partial');
    expect(summary.symbols.map((s) => s.outcome)).toEqual(['error', 'no_trade']);
  });

  it('halt_run stops the whole run and marks the remaining symbols not run', async () => {
    await importSample(db, 'ETH');
    await registerFixtureFiles(db);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'agent', module_id: 'throws_v1', on_error: 'halt_run' },
    ]);
    const summary = await runPipeline(db, runOptions({ symbols: ['BTC/USDT', 'ETH/USDT'] }));
    expect(summary.status).toBe('halted');
    expect(summary.symbols.map((s) => s.outcome)).toEqual(['error', 'not_run']);
    const [row] = await db.query<{ status: string }>('select status from pipeline_runs');
    expect(row!.status).toBe('halted');
  });

  it('discards the whole output of a module that writes an undeclared key or an invalid value', async () => {
    await registerFixtureFiles(db);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'agent', module_id: 'undeclared_key_v1', on_error: 'skip_module' },
      { stage: 'agent', module_id: 'bad_value_v1', on_error: 'skip_module' },
    ]);
    const summary = await runPipeline(db, runOptions());
    expect(summary.symbols[0]).toMatchObject({ outcome: 'no_trade', signals: 0, ideas: 0 });
    const { logs } = await getRunTrace(db, summary.run_id);
    const violations = logs.filter((l) => l.event === 'contract_violation');
    expect(violations.map((l) => l.module_id)).toEqual(['undeclared_key_v1', 'bad_value_v1']);
    expect(violations[0]!.message).toContain("wrote undeclared key 'ideas'");
    expect(violations[1]!.message).toMatch(/signals\[0\]\.targets/);
    expect(violations[1]!.message).toMatch(/signals\[0\]\.confidence/);
  });

  it('a blocking filter stops the symbol with its reason; a shadow filter only logs', async () => {
    await registerFixtureFiles(db);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'filter', module_id: 'block_all_v1' },
      { stage: 'agent', module_id: 'always_long_v1' },
    ]);
    let summary = await runPipeline(db, runOptions());
    expect(summary.symbols[0]).toMatchObject({
      outcome: 'blocked',
      reason: 'block_all_v1: BTC/USDT: closed for maintenance',
      signals: 0,
    });

    await db.query("update pipeline_config set shadow = true where module_id = 'block_all_v1'");
    summary = await runPipeline(db, runOptions());
    expect(summary.symbols[0]).toMatchObject({ outcome: 'no_trade', signals: 1 });
    const { logs } = await getRunTrace(db, summary.run_id);
    expect(logs.find((l) => l.module_id === 'block_all_v1')?.event).toBe('shadow');
  });

  it('honours run_when conditions and stamps list items with their source module', async () => {
    await registerFixtureFiles(db);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'agent', module_id: 'always_long_v1', run_when: { key: 'market_state.trend', op: 'eq', value: 'down' } },
      { stage: 'confluence', module_id: 'first_signal_v1' },
    ]);
    let summary = await runPipeline(db, runOptions());
    expect(summary.symbols[0]!.signals).toBe(0);
    await db.query(
      `update pipeline_config set run_when = '{"key": "market_state.trend", "op": "in", "value": ["up"]}' where module_id = 'always_long_v1'`,
    );
    summary = await runPipeline(db, runOptions());
    expect(summary.symbols[0]!.signals).toBe(1);
    const { logs } = await getRunTrace(db, summary.run_id);
    expect(logs.find((l) => l.module_id === 'first_signal_v1')?.rationale).toBe(
      '1 signal(s); first from always_long_v1',
    );
  });

  it('a symbol without candles fails alone with a clear reason', async () => {
    await registerFixtureFiles(db);
    await addSlots(db, [{ stage: 'context', module_id: 'fixture_state_v1' }]);
    const summary = await runPipeline(db, runOptions({ symbols: ['DOGE/USDT', 'BTC/USDT'] }));
    expect(summary.status).toBe('partial');
    expect(summary.symbols[0]).toMatchObject({ symbol: 'DOGE/USDT', outcome: 'error' });
    expect(summary.symbols[0]!.reason).toMatch(
      /No 1h candles for DOGE\/USDT on binance closed by .*trader data import/,
    );
    expect(summary.symbols[1]!.outcome).toBe('no_trade');
  });

  it('rejects malformed symbols and dates before anything is written', async () => {
    await expect(runPipeline(db, runOptions({ symbols: ['btc-usdt'] }))).rejects.toThrow(
      /'btc-usdt' is not a symbol like BTC\/USDT/,
    );
    await expect(runPipeline(db, runOptions({ asOf: new Date('nonsense') }))).rejects.toThrow(/not a valid ISO date/);
    await expect(runPipeline(db, runOptions({ timeframe: '7m' }))).rejects.toThrow(/Unknown timeframe '7m'/);
    expect(await db.query('select 1 from pipeline_runs')).toHaveLength(0);
  });

  it('strategy rows replace the stages they name; asset_config overrides params; risk_config wins last', async () => {
    await registerFixtureFiles(db);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'agent', module_id: 'throws_v1' },
    ]);
    await db.query(
      "insert into strategy_config (strategy_id, stage, position, module_id) values ('longs', 'agent', 0, 'always_long_v1')",
    );
    await db.query(
      `insert into asset_config (symbol, module_params) values ('BTC/USDT', '{"always_long_v1": {"confidence": 0.3}}')`,
    );
    let summary = await runPipeline(db, runOptions({ strategyId: 'longs' }));
    expect(summary.errors).toEqual([]);
    let { logs } = await getRunTrace(db, summary.run_id);
    const signalOf = (ls: typeof logs) =>
      (ls.find((l) => l.module_id === 'always_long_v1')?.outputs as { signals: { confidence: number }[] }).signals[0]!
        .confidence;
    expect(signalOf(logs)).toBe(0.3);
    await db.query(
      `insert into risk_config (rule_id, module_id, params) values ('cap', 'always_long_v1', '{"confidence": 0.1}')`,
    );
    summary = await runPipeline(db, runOptions({ strategyId: 'longs' }));
    ({ logs } = await getRunTrace(db, summary.run_id));
    expect(signalOf(logs)).toBe(0.1);
  });
});
