import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  adapterCliBackend,
  expectCleanError,
  expectJsonError,
  migratedTarget,
  ok,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { fixturesRoot, tempModulesRoot } from '../helpers/pipeline.ts';

/** A loadable module (zod only, so it imports from anywhere inside the repo) that must never be registered. */
const escapedModule = `import { z } from 'zod';

export const manifest = {
  module_id: 'escaped_v1',
  version: '1.0.0',
  logic_type: 'agent',
  description: 'Test: a module file outside the modules root.',
  input_keys: ['candles'],
  output_keys: ['signals'],
  params: z.object({}).strict(),
};

export const run = () => ({ outputs: { signals: [] }, rationale: 'escaped' });
`;

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function registeredIds(t: Target, env = t.env): Promise<string[]> {
  const r = await runTrader(['module', 'list', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { modules: { module_id: string }[] }).modules.map((m) => m.module_id);
}

// The bin on the embedded default only: registration (confinement, pinning, replace) is tested in-process on both backends in tests/orchestrator/.
describe.each(adapterCliBackend)('trader module register / show through the real bin (%s)', (kind: CliBackend) => {
  /** Migrated, nothing registered. Tests that register something work on a clone. */
  let t: Target;
  /** A temp modules root inside the repo, and a loadable module file next to it (outside it). */
  let root: string;
  let outside: string;
  const scratch: string[] = [];
  /**
   * A clone of `t` with the block_all_v1 fixture registered and active from a modules root,
   * as the last two tests both start: registered once through the bin (a registration runs
   * the gates, seconds of CPU), and each of them works on a clone of it. The row names the
   * file relative to its root (modules/agents/block_all_v1.ts), so it matches the identical
   * copy in each test's own root.
   */
  let blockAll: Promise<Target> | undefined;
  const withBlockAll = (): Promise<Target> =>
    (blockAll ??= (async () => {
      const db = await t.clone();
      const blockRoot = tempModulesRoot();
      scratch.push(path.dirname(blockRoot));
      const file = path.join(blockRoot, 'agents', 'block_all_v1.ts');
      fs.copyFileSync(path.join(fixturesRoot, 'filters', 'block_all_v1.ts'), file);
      await ok({ ...db, env: { ...db.env, TRADER_MODULES_ROOT: blockRoot } }, 'module', 'register', file, '--activate');
      return db;
    })());
  beforeAll(async () => {
    t = await migratedTarget(kind);
    root = tempModulesRoot();
    scratch.push(path.dirname(root));
    outside = path.join(path.dirname(root), 'outside', 'escaped_v1.ts');
    fs.mkdirSync(path.dirname(outside), { recursive: true });
    fs.writeFileSync(outside, escapedModule);
  }, 120_000);
  afterAll(async () => {
    await (await blockAll?.catch(() => undefined))?.dispose();
    await t?.dispose();
    for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses a file outside the modules root with exit 2 and registers nothing', async () => {
    // Inside the repo but outside modules/ (the default root).
    const r = await runTrader(['module', 'register', outside, '--activate'], t.env);
    expect(r.stdout).toBe('');
    expectCleanError(
      r,
      2,
      new RegExp(`^trader: Cannot register ${outside}: it is outside the modules root ${path.resolve('modules')}\\.$`),
    );

    // Somewhere under /tmp.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-mod-'));
    scratch.push(tmp);
    fs.writeFileSync(path.join(tmp, 'x.ts'), escapedModule);
    const json = await runTrader(['module', 'register', path.join(tmp, 'x.ts'), '--json'], t.env);
    expect(json.code).toBe(2);
    // (Today the reason given is the computed script_path's '..'; "outside the modules root" would be clearer.)
    expect(expectJsonError(json, 'BAD_INPUT').error.message).toMatch(
      new RegExp(`^Cannot register ${path.join(tmp, 'x.ts')}: it is outside the modules root`),
    );

    expect(await registeredIds(t)).toEqual([]);
  }, 120_000);

  it('refuses a symlink inside the modules root that points outside it', async () => {
    const link = path.join(root, 'agents', 'escaped_v1.ts');
    fs.symlinkSync(outside, link);
    const env = { ...t.env, TRADER_MODULES_ROOT: root };
    const r = await runTrader(['module', 'register', link, '--activate'], env);
    expect(r.stdout).toBe('');
    expectCleanError(
      r,
      2,
      new RegExp(
        `^trader: Cannot register ${link}: module file modules/agents/escaped_v1\\.ts resolves outside the modules root \\(symlink to ${fs.realpathSync(outside)}\\)\\.$`,
      ),
    );
    expect(await registeredIds(t, env)).toEqual([]);
  }, 120_000);

  it('registers a fixture from TRADER_MODULES_ROOT, pins its sha256, and module show finds it intact', async () => {
    const db = await t.clone();
    try {
      const env = { ...db.env, TRADER_MODULES_ROOT: fixturesRoot };
      const file = path.join(fixturesRoot, 'agents', 'always_long_v1.ts');
      const reg = await runTrader(['module', 'register', file, '--json'], env);
      expect(reg.code, reg.stderr).toBe(0);
      expect(JSON.parse(reg.stdout)).toMatchObject({
        ok: true,
        module: {
          module_id: 'always_long_v1',
          logic_type: 'agent',
          version: '1.0.0',
          script_path: 'modules/agents/always_long_v1.ts',
          function_name: 'run',
          input_keys: ['candles', 'volatility'],
          output_keys: ['signals'],
          sha256: sha256(file),
          params: { confidence: 0.8 },
          is_active: false,
        },
      });

      const show = await runTrader(['module', 'show', 'always_long_v1'], env);
      expect(show.code, show.stdout + show.stderr).toBe(0);
      const lines = show.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^always_long_v1 {2}agent {2}v1\.0\.0 {2}inactive$/);
      expect(lines).toContain('  file      modules/agents/always_long_v1.ts  (function run)');
      expect(lines).toContain(`  sha256    ${sha256(file)}`);
      // Its import graph: the module file alone (no local helpers), what it takes from the SDK, and zod.
      expect(lines).toContain(
        '  imports   modules/agents/always_long_v1.ts -> sdk/index.ts, sdk/define-module.ts, zod',
      );
      expect(lines).toContain('  reads     candles, volatility');
      expect(lines).toContain('  checks    file, hashes, import graph and manifest agree with this row');
      // The registration gates ran; always_long_v1 reads volatility, which no registered module produces here.
      expect(lines.find((l) => l.startsWith('  gates'))).toMatch(/^ {2}gates {5}passed \d{4}-\d\d-\d\dT\d\d:\d\d$/);
      expect(lines.at(-1)).toBe('            inputs from core keys only; no producer registered for volatility');
      const shown = JSON.parse((await runTrader(['module', 'show', 'always_long_v1', '--json'], env)).stdout) as {
        module: { import_graph: unknown };
      };
      expect(shown.module.import_graph).toEqual({
        files: [
          {
            path: 'modules/agents/always_long_v1.ts',
            sha256: sha256(file),
            imports: [],
            sdk: ['sdk/index.ts', 'sdk/define-module.ts'],
            packages: ['zod'],
          },
        ],
      });

      // Registry changes are audited, with the pinned hash.
      const audit = JSON.parse(
        (await runTrader(['audit', 'search', '--entity', 'module:always_long_v1', '--json'], env)).stdout,
      ) as { rows: { mode: string; actor: string; action_type: string; details: { sha256: string } }[] };
      expect(audit.rows.map((r) => [r.mode, r.actor, r.action_type, r.details.sha256])).toEqual([
        ['SYSTEM', 'USER', 'MODULE_REGISTERED', sha256(file)],
      ]);

      // The row names a file under the root it was registered from; under the default root it is missing.
      const elsewhere = await runTrader(['module', 'show', 'always_long_v1', '--json'], db.env);
      expect(elsewhere.code).toBe(1);
      const doc = JSON.parse(elsewhere.stdout) as { ok: boolean; problems: string[] };
      expect(doc.ok).toBe(false);
      expect(doc.problems.join('\n')).toMatch(/modules\/agents\/always_long_v1\.ts/);
    } finally {
      await db.dispose();
    }
  }, 120_000);

  it('a module file edited after registration is refused until re-registered', async () => {
    const db = await (await withBlockAll()).clone();
    const ownRoot = tempModulesRoot();
    scratch.push(path.dirname(ownRoot));
    try {
      const env = { ...db.env, TRADER_MODULES_ROOT: ownRoot };
      const file = path.join(ownRoot, 'agents', 'block_all_v1.ts');
      fs.copyFileSync(path.join(fixturesRoot, 'filters', 'block_all_v1.ts'), file);
      // Registered and activated from an identical copy (withBlockAll).
      fs.appendFileSync(file, '\n// an innocent-looking edit\n');

      const show = await runTrader(['module', 'show', 'block_all_v1'], env);
      expect(show.code).toBe(1);
      expect(show.stdout).toMatch(
        /PROBLEMS\n {4}- .*modules\/agents\/block_all_v1\.ts changed since it was registered/,
      );
      await ok({ ...db, env }, 'module', 'deactivate', 'block_all_v1');
      expectCleanError(
        await runTrader(['module', 'activate', 'block_all_v1'], env),
        2,
        /^trader: Module block_all_v1 cannot be activated: .*changed since it was registered/,
      );

      const again = await runTrader(['module', 'register', file, '--activate', '--json'], env);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).module).toMatchObject({ sha256: sha256(file), is_active: true });
      expect((await runTrader(['module', 'show', 'block_all_v1'], env)).code).toBe(0);
    } finally {
      await db.dispose();
    }
  }, 180_000);

  it('a file claiming a module_id registered from another file: refused, then --replace asks, and --yes replaces it, audited', async () => {
    const db = await (await withBlockAll()).clone();
    const ownRoot = tempModulesRoot();
    scratch.push(path.dirname(ownRoot));
    try {
      const env = { ...db.env, TRADER_MODULES_ROOT: ownRoot };
      const first = path.join(ownRoot, 'agents', 'block_all_v1.ts');
      const mine = path.join(ownRoot, 'agents', 'my_block_all.ts');
      fs.copyFileSync(path.join(fixturesRoot, 'filters', 'block_all_v1.ts'), first);
      fs.writeFileSync(mine, fs.readFileSync(first, 'utf8').replace('closed for maintenance', 'mine now'));
      // `first` is registered and active already: withBlockAll registered an identical copy.

      expectCleanError(
        await runTrader(['module', 'register', mine], env),
        2,
        /^trader: Cannot register .*my_block_all\.ts: module block_all_v1 is already registered from modules\/agents\/block_all_v1\.ts \(v1\.0\.0\); .*--replace`\.$/,
      );
      // --replace with no terminal to ask on and no --yes: refused, and the refusal audited.
      expectCleanError(
        await runTrader(['module', 'register', mine, '--replace'], env),
        2,
        /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
      );
      const replaced = await runTrader(['module', 'register', mine, '--replace', '--yes'], env);
      expect(replaced.code, replaced.stderr).toBe(0);
      expect(replaced.stdout).toMatch(
        /^registered block_all_v1 v1\.0\.0 in place of modules\/agents\/block_all_v1\.ts \(v1\.0\.0\) \(active\), sha256 [0-9a-f]{64}; gates passed/,
      );
      const show = await runTrader(['module', 'show', 'block_all_v1'], env);
      expect(show.stdout).toContain('  file      modules/agents/my_block_all.ts  (function run)');

      const audit = JSON.parse(
        (await runTrader(['audit', 'search', '--entity', 'module:block_all_v1', '--json'], env)).stdout,
      ) as { rows: { action_type: string; status: string; details: { replaced?: { script_path: string } } }[] };
      expect(audit.rows.map((r) => [r.action_type, r.status, r.details.replaced?.script_path ?? null])).toEqual([
        ['MODULE_REGISTERED', 'SUCCESS', null],
        ['MODULE_REPLACED', 'FAILURE', 'modules/agents/block_all_v1.ts'],
        ['MODULE_REPLACED', 'SUCCESS', 'modules/agents/block_all_v1.ts'],
      ]);
    } finally {
      await db.dispose();
    }
  }, 180_000);
});
