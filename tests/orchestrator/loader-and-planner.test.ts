import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { preparePlans } from '../../engine/plan/prepare.ts';
import { registerModuleFile } from '../../orchestrator/registration.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { getModule } from '../../registry/registry-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import {
  addSlots,
  fixtureEnv,
  fixturesRoot,
  importSample,
  registerFixtures,
  runOptions,
  tempModulesRoot,
} from '../helpers/pipeline.ts';

const prepare = (db: TestDb, env = fixtureEnv, strategyId: string | null = null) =>
  preparePlans(db, { pipelineId: 'default', strategyId, symbols: ['BTC/USDT'], riskProfile: 'medium', env });

const messages = async (db: TestDb, env = fixtureEnv) => (await prepare(db, env)).problems.map((p) => p.message);

afterAll(() => fs.rmSync(path.join(packageRoot, 'tests', '.tmp'), { recursive: true, force: true }));

describe.each(backends)('module loading and planning on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(async () => db.dispose());

  it('reports every rule a broken plan breaks, all at once', async () => {
    await registerFixtures(db, [
      'context/fixture_state_v1.ts',
      'context/fixture_state_v2.ts',
      'agents/always_long_v1.ts',
      'confluence/first_signal_v1.ts',
      'filters/block_all_v1.ts',
    ]);
    await db.query("update module_registry set is_active = false where module_id = 'block_all_v1'");
    await addSlots(db, [
      { stage: 'agent', module_id: 'always_long_v1', params: { confidence: 7 } }, // reads volatility before anything writes it
      { stage: 'confluence', module_id: 'first_signal_v1', run_when: { key: 'ideas', op: 'gt', value: 'x' } },
      { stage: 'filter', module_id: 'block_all_v1' },
      { stage: 'risk', module_id: 'first_signal_v1' },
      { stage: 'execution', module_id: 'fixture_state_v1' },
      { stage: 'execution', module_id: 'fixture_state_v2' },
    ]);
    expect((await messages(db)).sort()).toEqual(
      [
        'module block_all_v1 is inactive; run `trader module activate block_all_v1`',
        'module first_signal_v1 is a confluence module but sits in the risk stage',
        'module fixture_state_v1 is a context module but sits in the execution stage',
        'module fixture_state_v2 is a context module but sits in the execution stage',
        "module always_long_v1 reads 'volatility' but no earlier module in the plan writes it",
        'run_when: gt/gte/lt/lte need a number value',
        "value key 'market_state' has 2 writers (fixture_state_v1, fixture_state_v2); a value key allows one",
        "value key 'volatility' has 2 writers (fixture_state_v1, fixture_state_v2); a value key allows one",
        'params.confidence must be at most 1',
      ].sort(),
    );
  });

  it('refuses a module row whose script_path leaves the modules root', async () => {
    await registerFixtures(db, ['context/fixture_state_v1.ts']);
    await addSlots(db, [{ stage: 'context', module_id: 'fixture_state_v1' }]);
    await db.query("update module_registry set script_path = 'modules/../../../etc/passwd.ts'");
    expect(await messages(db)).toEqual(["script_path modules/../../../etc/passwd.ts must not contain '..'"]);
    await db.query("update module_registry set script_path = '/etc/passwd.ts'");
    expect(await messages(db)).toEqual(['script_path /etc/passwd.ts must be relative, not absolute']);
    await db.query("update module_registry set script_path = 'elsewhere/fixture_state_v1.ts'");
    expect((await messages(db))[0]).toMatch(/is outside the modules root/);
  });

  it('refuses a symlink that escapes the modules root', async () => {
    const root = tempModulesRoot();
    const outside = path.join(path.dirname(root), 'outside_v1.ts');
    fs.copyFileSync(path.join(fixturesRoot, 'agents', 'throws_v1.ts'), outside);
    fs.symlinkSync(outside, path.join(root, 'agents', 'throws_v1.ts'));
    const env = { ...process.env, TRADER_MODULES_ROOT: root };
    await expect(
      registerModuleFile(db, path.join(root, 'agents', 'throws_v1.ts'), { activate: true, env }),
    ).rejects.toThrow(/resolves outside the modules root/);
  });

  it('refuses a module file edited after registration until it is re-registered', async () => {
    const root = tempModulesRoot();
    const file = path.join(root, 'agents', 'block_all_v1.ts');
    fs.copyFileSync(path.join(fixturesRoot, 'filters', 'block_all_v1.ts'), file);
    const env = { ...process.env, TRADER_MODULES_ROOT: root };
    await registerModuleFile(db, file, { activate: true, env });
    await addSlots(db, [{ stage: 'filter', module_id: 'block_all_v1' }]);
    expect(await messages(db, env)).toEqual([]);
    fs.appendFileSync(file, '\n// an innocent-looking edit\n');
    const [problem] = await messages(db, env);
    expect(problem).toMatch(
      /modules\/agents\/block_all_v1\.ts changed since it was registered .*trader module register/,
    );
    await registerModuleFile(db, file, { activate: false, env });
    expect(await messages(db, env)).toEqual([]);
  });

  it('refuses a row that disagrees with its manifest, naming each difference', async () => {
    await registerFixtures(db, ['agents/throws_v1.ts']);
    await addSlots(db, [{ stage: 'agent', module_id: 'throws_v1' }]);
    await db.query(
      "update module_registry set version = '2.0.0', output_keys = '{signals,ideas}', function_name = 'main'",
    );
    const found = await messages(db);
    expect(found).toEqual(
      expect.arrayContaining([
        "registry version is '2.0.0' but the manifest says '1.0.0'",
        "registry output_keys {signals, ideas} differ from the manifest's {signals}",
        "module file modules/agents/throws_v1.ts does not export a function named 'main'",
      ]),
    );
  });

  it('a module registered by plain SQL without a hash is pinned on first load, and the run says so', async () => {
    await importSample(db, 'BTC');
    await db.query(
      `insert into module_registry (module_id, logic_type, version, description, script_path, function_name, is_active, input_keys, output_keys)
       values ('fixture_state_v1', 'context', '1.0.0', 'added by SQL', 'modules/context/fixture_state_v1.ts', 'run', true, '{candles}', '{market_state,volatility}')`,
    );
    await addSlots(db, [{ stage: 'context', module_id: 'fixture_state_v1' }]);
    const summary = await runPipeline(db, runOptions());
    expect(summary.pinned_modules).toEqual(['fixture_state_v1']);
    const row = await getModule(db, 'fixture_state_v1');
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    const pinnedLog = await db.query<{ event: string; message: string }>(
      "select event, message from pipeline_log where event = 'hash_pinned'",
    );
    expect(pinnedLog).toEqual([
      { event: 'hash_pinned', message: `registry row had no sha256; pinned to the file as loaded now (${row.sha256})` },
    ]);
    const again = await runPipeline(db, runOptions());
    expect(again.pinned_modules).toEqual([]);
  });

  it('rejects params that break the module schema, with the zod path', async () => {
    await registerFixtures(db, ['context/fixture_state_v1.ts']);
    await addSlots(db, [{ stage: 'context', module_id: 'fixture_state_v1', params: { atr_pct: -1, extra: true } }]);
    const found = await messages(db);
    expect(found).toEqual(
      expect.arrayContaining(['params.atr_pct must be more than 0', 'params has a field it does not know: extra']),
    );
    await expect(runPipeline(db, runOptions())).rejects.toThrow(
      /Pipeline 'default' cannot run: its plan has 2 problems/,
    );
    expect(await db.query('select 1 from pipeline_runs')).toHaveLength(0);
  });

  it('names a missing strategy and an unregistered module', async () => {
    await addSlots(db, []);
    await db.query(
      "insert into module_registry (module_id, logic_type, version, script_path) values ('ghost_v1', 'agent', '1.0.0', 'modules/agents/ghost_v1.ts')",
    );
    await addSlots(db, [{ stage: 'agent', module_id: 'ghost_v1' }]);
    const p = await prepare(db, fixtureEnv, 'nope');
    expect(p.problems.map((x) => x.message)).toEqual(
      expect.arrayContaining([
        "strategy 'nope' does not exist (known: none)",
        'module ghost_v1 is inactive; run `trader module activate ghost_v1`',
        'module file modules/agents/ghost_v1.ts does not exist',
      ]),
    );
  });
});
