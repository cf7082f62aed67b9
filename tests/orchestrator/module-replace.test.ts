import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { packageRoot } from '../../core/paths.ts';
import { registerAudited } from '../../orchestrator/audited-registration.ts';
import { readModuleFile, registerModuleFile } from '../../orchestrator/registration.ts';
import { getModule } from '../../registry/registry-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { fixturesRoot, tempModulesRoot } from '../helpers/pipeline.ts';

/**
 * A module_id belongs to one file. A second file claiming it (here a user's copy of
 * block_all_v1 under another name) is refused unless replacing is asked for, confirmed
 * and audited; re-registering the owning file after an edit goes on as before.
 */

const moduleAudit = (db: TestDb) =>
  db.query<{
    action_type: string;
    status: string;
    details: { script_path: string; replaced?: { script_path: string } };
  }>("select action_type, status, details from audit_trail where entity_type = 'module' order by seq");

afterAll(() => fs.rmSync(path.join(packageRoot, 'tests', '.tmp'), { recursive: true, force: true }));

describe.each(backends)('registering a file whose module_id belongs to another file (%s)', (kind) => {
  let db: TestDb;
  let env: NodeJS.ProcessEnv;
  let shipped: string;
  let claimant: string;
  beforeEach(async () => {
    db = await freshDb(kind);
    const root = tempModulesRoot();
    env = { ...process.env, TRADER_MODULES_ROOT: root };
    shipped = path.join(root, 'agents', 'block_all_v1.ts');
    claimant = path.join(root, 'agents', 'my_block_all.ts');
    fs.copyFileSync(path.join(fixturesRoot, 'filters', 'block_all_v1.ts'), shipped);
    fs.writeFileSync(
      claimant,
      fs.readFileSync(shipped, 'utf8').replace("default('closed for maintenance')", "default('mine now')"),
    );
    await registerModuleFile(db, shipped, { activate: true, env });
  });
  afterEach(async () => db.dispose());

  const ask = (answer: boolean | TraderError) => ({
    confirm: async () => {
      if (answer instanceof TraderError) throw answer;
      return answer;
    },
  });
  const register = async (replace: boolean, answer: boolean | TraderError = true) =>
    registerAudited(db, await readModuleFile(claimant, env), { activate: true, replace, ask: ask(answer), env });

  it('is refused without --replace, naming the owner; nothing changes', async () => {
    await expectTraderError(
      register(false),
      'CONFIG_INVALID',
      /^Cannot register .*my_block_all\.ts: module block_all_v1 is already registered from modules\/agents\/block_all_v1\.ts \(v1\.0\.0\); give this module another module_id, or replace it with `trader module register .*my_block_all\.ts --replace`\.$/,
    );
    expect((await getModule(db, 'block_all_v1')).script_path).toBe('modules/agents/block_all_v1.ts');
    expect(await moduleAudit(db)).toEqual([]);
  });

  it('with --replace: a decline or an unanswerable question changes nothing and is audited', async () => {
    await expectTraderError(
      register(true, false),
      'BAD_INPUT',
      /^You did not confirm; block_all_v1 still runs modules\/agents\/block_all_v1\.ts\.$/,
    );
    const noTerminal = new TraderError(
      'BAD_INPUT',
      'This change needs confirmation; run it in a terminal or add --yes.',
    );
    await expectTraderError(register(true, noTerminal), 'BAD_INPUT', /needs confirmation/);
    expect((await getModule(db, 'block_all_v1')).script_path).toBe('modules/agents/block_all_v1.ts');
    expect(
      (await moduleAudit(db)).map((r) => [
        r.action_type,
        r.status,
        r.details.script_path,
        r.details.replaced?.script_path,
      ]),
    ).toEqual([
      ['MODULE_REPLACED', 'REJECTED', 'modules/agents/my_block_all.ts', 'modules/agents/block_all_v1.ts'],
      ['MODULE_REPLACED', 'FAILURE', 'modules/agents/my_block_all.ts', 'modules/agents/block_all_v1.ts'],
    ]);
  });

  it('with --replace, confirmed: the new file takes the id, audited with what it replaced', async () => {
    const { row, replaced } = await register(true, true);
    expect(replaced!.script_path).toBe('modules/agents/block_all_v1.ts');
    expect(row).toMatchObject({ script_path: 'modules/agents/my_block_all.ts', params: { reason: 'mine now' } });
    expect((await moduleAudit(db)).map((r) => [r.action_type, r.status, r.details.replaced?.script_path])).toEqual([
      ['MODULE_REPLACED', 'SUCCESS', 'modules/agents/block_all_v1.ts'],
    ]);
    // The seed's way: a shipped file meeting a user's replacement keeps the user's file.
    const kept = await registerModuleFile(db, shipped, { activate: true, env, onClaimed: 'keep' });
    expect(kept.script_path).toBe('modules/agents/my_block_all.ts');
  });

  it('re-registering the owning file after an edit goes on as before', async () => {
    fs.appendFileSync(shipped, '\n// an edit\n');
    const row = await registerModuleFile(db, shipped, { activate: true, env });
    expect(row.script_path).toBe('modules/agents/block_all_v1.ts');
    expect(row.is_active).toBe(true);
  });
});
