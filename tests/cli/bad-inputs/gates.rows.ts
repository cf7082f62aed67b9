import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../core/paths.ts';
import { fixturesRoot } from '../../helpers/pipeline.ts';
import type { BadInput } from './row.ts';

/** `trader module register`: module files that are refused before any of their code runs. */

const fixtures = { TRADER_MODULES_ROOT: fixturesRoot };
const fixture = (rel: string) => path.join(fixturesRoot, rel);
/** A modules root of the row's own, for files written by its setup. */
const ownRoot = { TRADER_MODULES_ROOT: '{tmp}/modules' };

/**
 * Writes `{tmp}/modules/agents/<name>.ts`: `head` lines, then a valid agent manifest with
 * `id` and a run. A modules root outside the package needs its own package.json saying
 * its .ts files are ES modules, and takes z from the SDK (it cannot resolve the zod package).
 */
export const writeModule =
  (name: string, head: string[], id = name) =>
  (tmp: string) => {
    const folder = path.join(tmp, 'modules', 'agents');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n');
    fs.writeFileSync(
      path.join(folder, `${name}.ts`),
      [
        `import { z } from '${path.relative(folder, path.join(packageRoot, 'sdk', 'index.ts'))}';`,
        ...head,
        `export const manifest = { module_id: '${id}', version: '1.0.0', logic_type: 'agent', description: 'Bad input.',`,
        "  input_keys: ['candles'], output_keys: ['signals'], params: z.object({}).strict() };",
        "export const run = () => ({ outputs: { signals: [] }, rationale: 'none' });",
        '',
      ].join('\n'),
    );
  };

export const rows: BadInput[] = [
  {
    what: 'a module file with a syntax error',
    args: ['module', 'register', '{tmp}/modules/agents/broken_v1.ts'],
    env: ownRoot,
    setup: writeModule('broken_v1', ['const oops = { a: 1 ;']),
    exit: 2,
    message:
      /^trader: Cannot register .*broken_v1\.ts: modules\/agents\/broken_v1\.ts:2:21: syntax error: ',' expected\.$/,
  },
  {
    what: 'a module importing a file outside its own folder',
    args: ['module', 'register', fixture('agents/imports_outside_v1.ts')],
    env: fixtures,
    exit: 2,
    message:
      /^trader: Cannot register .*: modules\/agents\/imports_outside_v1\.ts:2:35: import '\.\.\/context\/fixture_state_v1\.ts' \(modules\/context\/fixture_state_v1\.ts\) is outside its own folder; a module may import files of its own folder modules\/agents\/, the SDK \(sdk\/\) and zod\.$/,
  },
  {
    what: 'a module importing a Node built-in',
    args: ['module', 'register', fixture('agents/imports_fs_v1.ts')],
    env: fixtures,
    exit: 2,
    message: /imports_fs_v1\.ts:1:16: import 'node:fs' is a Node built-in; modules have no I\/O/,
  },
  {
    what: 'a module loading code with import() and require',
    args: ['module', 'register', fixture('agents/dynamic_import_v1.ts')],
    env: fixtures,
    exit: 2,
    message:
      /dynamic_import_v1\.ts:15:8: a dynamic import\(\) is not allowed.*dynamic_import_v1\.ts:17:14: require is not allowed/,
  },
  {
    what: 'a module importing a package that is not allowed',
    args: ['module', 'register', '{tmp}/modules/agents/uses_ccxt_v1.ts'],
    env: ownRoot,
    setup: writeModule('uses_ccxt_v1', ["import ccxt from 'ccxt';", 'void ccxt;']),
    exit: 2,
    message:
      /uses_ccxt_v1\.ts:2:18: import 'ccxt' is not an allowed package; a module may import files of its own folder/,
  },
  {
    what: 'a module importing a local file without its extension',
    args: ['module', 'register', '{tmp}/modules/agents/no_extension_v1.ts'],
    env: ownRoot,
    setup: writeModule('no_extension_v1', ["import { helper } from './helper';", 'void helper;']),
    exit: 2,
    message:
      /no_extension_v1\.ts:2:24: import '\.\/helper' must name a \.ts, \.mts, \.js or \.mjs file with its extension/,
  },
  {
    what: 'a module importing a local file that does not exist',
    args: ['module', 'register', '{tmp}/modules/agents/missing_import_v1.ts'],
    env: ownRoot,
    setup: writeModule('missing_import_v1', ["import { helper } from './helper.ts';", 'void helper;']),
    exit: 2,
    message: /missing_import_v1\.ts:2:24: import '\.\/helper\.ts' does not exist/,
  },
  {
    what: 'a module importing a file by absolute path',
    args: ['module', 'register', '{tmp}/modules/agents/absolute_import_v1.ts'],
    env: ownRoot,
    setup: writeModule('absolute_import_v1', ["import { secret } from '/etc/trader/secret.ts';", 'void secret;']),
    exit: 2,
    message:
      /absolute_import_v1\.ts:2:24: import '\/etc\/trader\/secret\.ts' is an absolute path; a module may import files of its own folder modules\/agents\/, the SDK \(sdk\/\) and zod, by relative path\.$/,
  },
  {
    what: "a user's file claiming a shipped module's id, without --replace",
    args: ['module', 'register', '{tmp}/modules/agents/my_breakout.ts', '--activate'],
    env: ownRoot,
    setup: writeModule('my_breakout', [], 'breakout_v1'),
    exit: 2,
    message:
      /^trader: Cannot register .*my_breakout\.ts: module breakout_v1 is already registered from modules\/agents\/breakout_v1\.ts \(v1\.0\.0\); give this module another module_id, or replace it with `trader module register .*my_breakout\.ts --replace`\.$/,
  },
];
