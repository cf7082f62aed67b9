import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { preparePlans } from '../../engine/plan/prepare.ts';
import { registerModuleFile } from '../../orchestrator/registration.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { getModule, listModules } from '../../registry/registry-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { addSlots, fixturesRoot, importSample, runOptions, tempModulesRoot } from '../helpers/pipeline.ts';

/** A temp modules root holding with_helper_v1 and its helper, as a user would lay them out. */
function rootWithHelper(): { root: string; env: NodeJS.ProcessEnv; file: string; helper: string } {
  const root = tempModulesRoot();
  fs.mkdirSync(path.join(root, 'agents', 'lib'));
  const file = path.join(root, 'agents', 'with_helper_v1.ts');
  const helper = path.join(root, 'agents', 'lib', 'midpoint.ts');
  fs.copyFileSync(path.join(fixturesRoot, 'agents', 'with_helper_v1.ts'), file);
  fs.copyFileSync(path.join(fixturesRoot, 'agents', 'lib', 'midpoint.ts'), helper);
  return { root, env: { ...process.env, TRADER_MODULES_ROOT: root }, file, helper };
}

const problems = async (db: TestDb, env: NodeJS.ProcessEnv) =>
  (
    await preparePlans(db, {
      pipelineId: 'default',
      strategyId: null,
      symbols: ['BTC/USDT'],
      riskProfile: 'medium',
      env,
    })
  ).problems.map((p) => p.message);

afterAll(() => fs.rmSync(path.join(packageRoot, 'tests', '.tmp'), { recursive: true, force: true }));

describe.each(backends)("a module's import graph: pinned, confined, checked on load (%s)", (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(async () => db.dispose());

  it('pins every local file it imports by hash; an edited helper is refused until re-registered', async () => {
    const { env, file, helper } = rootWithHelper();
    const row = await registerModuleFile(db, file, { activate: true, env });
    expect(row.import_graph!.files).toEqual([
      {
        path: 'modules/agents/with_helper_v1.ts',
        sha256: row.sha256,
        imports: ['modules/agents/lib/midpoint.ts'],
        sdk: [],
        packages: ['zod'],
      },
      {
        path: 'modules/agents/lib/midpoint.ts',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        imports: [],
        sdk: [],
        packages: [],
      },
    ]);
    await addSlots(db, [{ stage: 'agent', module_id: 'with_helper_v1' }]);
    expect(await problems(db, env)).toEqual([]);

    fs.appendFileSync(helper, 'export const sneaky = 1;\n');
    expect(await problems(db, env)).toEqual([
      expect.stringMatching(
        /^module file modules\/agents\/with_helper_v1\.ts imports modules\/agents\/lib\/midpoint\.ts, which changed since it was registered \(sha256 [0-9a-f]{12}… is not the pinned [0-9a-f]{12}…\); review it and run `trader module register modules\/agents\/with_helper_v1\.ts`$/,
      ),
    ]);
    const again = await registerModuleFile(db, file, { activate: false, env });
    expect(again.import_graph!.files[1]!.sha256).not.toBe(row.import_graph!.files[1]!.sha256);
    expect(await problems(db, env)).toEqual([]);

    // A helper swapped for a symlink that leads out of the module's folder is refused too.
    const outside = path.join(path.dirname(path.dirname(path.dirname(helper))), 'midpoint.ts');
    fs.renameSync(helper, outside);
    fs.symlinkSync(outside, helper);
    expect((await problems(db, env))[0]).toMatch(
      /imports modules\/agents\/lib\/midpoint\.ts, which is missing or outside its folder/,
    );
  });

  it.each([
    [
      'agents/imports_outside_v1.ts',
      /modules\/agents\/imports_outside_v1\.ts:2:35: import '\.\.\/context\/fixture_state_v1\.ts' \(modules\/context\/fixture_state_v1\.ts\) is outside its own folder; a module may import files of its own folder modules\/agents\/, the SDK \(sdk\/\) and zod\.$/,
    ],
    [
      'agents/imports_fs_v1.ts',
      /modules\/agents\/imports_fs_v1\.ts:1:16: import 'node:fs' is a Node built-in; modules have no I\/O/,
    ],
    [
      'agents/dynamic_import_v1.ts',
      /dynamic_import_v1\.ts:15:8: a dynamic import\(\) is not allowed.*; modules\/agents\/dynamic_import_v1\.ts:17:14: require is not allowed/,
    ],
  ])('refuses %s before running any of it, naming file:line:column', async (rel, message) => {
    const env = { ...process.env, TRADER_MODULES_ROOT: fixturesRoot };
    await expectTraderError(
      registerModuleFile(db, path.join(fixturesRoot, rel), { activate: true, env }),
      'BAD_INPUT',
      message,
    );
    expect(await listModules(db)).toEqual([]);
  });

  it('a syntax error is named by file:line:column, at registration and at load', async () => {
    const root = tempModulesRoot();
    const file = path.join(root, 'agents', 'broken_v1.ts');
    fs.writeFileSync(file, "import { z } from 'zod';\n\nexport const manifest = { module_id: 'broken_v1' ;\n");
    const env = { ...process.env, TRADER_MODULES_ROOT: root };
    await expectTraderError(
      registerModuleFile(db, file, { activate: true, env }),
      'BAD_INPUT',
      /^Cannot register .*broken_v1\.ts: modules\/agents\/broken_v1\.ts:3:50: syntax error: ',' expected\.$/,
    );
    // The same file named by a row inserted by SQL: the load says where, too.
    await db.query(
      `insert into module_registry (module_id, logic_type, version, script_path, is_active, input_keys, output_keys)
       values ('broken_v1', 'agent', '1.0.0', 'modules/agents/broken_v1.ts', true, '{candles}', '{signals}')`,
    );
    await addSlots(db, [{ stage: 'agent', module_id: 'broken_v1' }]);
    expect(await problems(db, env)).toEqual(["modules/agents/broken_v1.ts:3:50: syntax error: ',' expected"]);
  });

  it('a row registered before graphs were pinned gets its graph pinned and its gates re-run on first load', async () => {
    await importSample(db, 'BTC');
    const { env, file } = rootWithHelper();
    await registerModuleFile(db, file, { activate: true, env });
    // As a row from before this version: a hash, no graph, gates of the old kind.
    await db.query("update module_registry set import_graph = null, gate = null where module_id = 'with_helper_v1'");
    await addSlots(db, [{ stage: 'agent', module_id: 'with_helper_v1' }]);
    const summary = await runPipeline(db, runOptions({ env }));
    expect(summary.pinned_modules).toEqual(['with_helper_v1']);
    const row = await getModule(db, 'with_helper_v1');
    expect(row.import_graph!.files.map((f) => f.path)).toEqual([
      'modules/agents/with_helper_v1.ts',
      'modules/agents/lib/midpoint.ts',
    ]);
    expect(row.gate).toMatchObject({ status: 'passed', contract_kept: true });
    const [log] = await db.query<{ message: string }>("select message from pipeline_log where event = 'hash_pinned'");
    expect(log!.message).toBe('registry row had no import graph; pinned its 2 file(s) as loaded now');
  });

  it('a row inserted by SQL whose module imports outside its folder is refused on load, never run', async () => {
    const env = { ...process.env, TRADER_MODULES_ROOT: fixturesRoot };
    await db.query(
      `insert into module_registry (module_id, logic_type, version, script_path, is_active, input_keys, output_keys)
       values ('imports_fs_v1', 'agent', '1.0.0', 'modules/agents/imports_fs_v1.ts', true, '{candles}', '{signals}')`,
    );
    await addSlots(db, [{ stage: 'agent', module_id: 'imports_fs_v1' }]);
    expect(await problems(db, env)).toEqual([
      expect.stringMatching(/imports_fs_v1\.ts:1:16: import 'node:fs' is a Node built-in/),
    ]);
    expect((await getModule(db, 'imports_fs_v1')).sha256).toBeNull();
  });
});
