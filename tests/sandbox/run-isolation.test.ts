import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { getModule } from '../../registry/registry-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { addSlots, importSample, registerFixtures, runOptions } from '../helpers/pipeline.ts';

/**
 * A module that never returns, or ends the process, costs its symbol only: the run goes
 * on with the other symbols in a fresh worker and closes normally.
 */
describe.each(backends)('module sandbox in a run on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
    await importSample(db, 'BTC');
    await importSample(db, 'ETH');
  });
  afterEach(async () => db.dispose());

  const both = runOptions({ symbols: ['ETH/USDT', 'BTC/USDT'] });

  it('a runaway module is stopped at its 2 s limit; its symbol is an error, the next symbol is decided', async () => {
    await registerFixtures(db, ['agents/runaway_v1.ts']);
    await addSlots(db, [{ stage: 'agent', module_id: 'runaway_v1' }]);
    const summary = await runPipeline(db, both);
    const [eth, btc] = summary.symbols;
    expect(eth).toMatchObject({ symbol: 'ETH/USDT', outcome: 'error' });
    expect(eth!.reason).toContain('module runaway_v1@1.0.0 exceeded its 2 s limit');
    expect(btc).toMatchObject({
      symbol: 'BTC/USDT',
      outcome: 'no_trade',
      reason: 'runaway_v1: no signal for BTC/USDT',
    });
    expect(summary.errors).toEqual([
      { symbol: 'ETH/USDT', module_id: 'runaway_v1', message: 'module runaway_v1@1.0.0 exceeded its 2 s limit' },
    ]);
    const [run] = await db.query<{ status: string }>('select status from pipeline_runs where run_id = $1', [
      summary.run_id,
    ]);
    expect(run!.status).toBe(summary.status);
    expect(summary.status).not.toBe('running');
    const errors = await db.query<{ code: string; error_message: string }>(
      'select code, error_message from error_log where run_id = $1',
      [summary.run_id],
    );
    expect(errors).toEqual([{ code: 'TIMEOUT', error_message: 'module runaway_v1@1.0.0 exceeded its 2 s limit' }]);
  });

  it("a step's time_limit_ms replaces the default for that step", async () => {
    await registerFixtures(db, ['agents/runaway_v1.ts']);
    await addSlots(db, [{ stage: 'agent', module_id: 'runaway_v1' }]);
    await db.query("update pipeline_config set time_limit_ms = 250 where module_id = 'runaway_v1'");
    const summary = await runPipeline(db, both);
    expect(summary.symbols[0]!.reason).toContain('module runaway_v1@1.0.0 exceeded its 0.25 s limit');
  });

  it('refuses a step limit out of range with a sentence naming the row', async () => {
    await registerFixtures(db, ['agents/runaway_v1.ts']);
    await addSlots(db, [{ stage: 'agent', module_id: 'runaway_v1' }]);
    await expect(
      db.query("update pipeline_config set time_limit_ms = 5 where module_id = 'runaway_v1'"),
    ).rejects.toThrow(/time_limit_ms/);
  });

  it('a module calling process.exit costs its symbol, with a sentence, not the process', async () => {
    await registerFixtures(db, ['agents/ends_process_v1.ts']);
    await addSlots(db, [{ stage: 'agent', module_id: 'ends_process_v1' }]);
    const summary = await runPipeline(db, both);
    expect(summary.symbols.map((s) => s.outcome)).toEqual(['error', 'no_trade']);
    expect(summary.symbols[0]!.reason).toContain(
      'module ends_process_v1@1.0.0 called process.exit(7); a module must return its result, never end the process',
    );
  });

  it('the registration gates of a module that loops fail with the limit sentence and deactivate it', async () => {
    await registerFixtures(db, ['agents/loops_v1.ts']);
    const row = await getModule(db, 'loops_v1');
    expect(row.is_active).toBe(false);
    expect(row.gate?.status).toBe('failed');
    expect(row.gate?.reasons).toEqual(['module loops_v1@1.0.0 exceeded its 2 s limit']);
  });
});
