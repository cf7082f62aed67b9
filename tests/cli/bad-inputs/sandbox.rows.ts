import { writeModule } from './gates.rows.ts';
import type { BadInput } from './row.ts';

/**
 * Module files whose top level never lets the command go on: the sandbox imports them in
 * a worker thread under the 2 s load limit, so each is one sentence and exit 2 instead of
 * a hang or a command that ends silently. (A module whose run loops fails its
 * registration gates instead: tests/sandbox/run-isolation.test.ts.)
 */

const ownRoot = { TRADER_MODULES_ROOT: '{tmp}/modules' };
const register = (name: string) => ['module', 'register', `{tmp}/modules/agents/${name}.ts`];
const notLoaded = (name: string) =>
  new RegExp(
    `^trader: Cannot register .*${name}\\.ts: module file modules/agents/${name}\\.ts did not finish loading within its 2 s limit \\(its top level loops, or awaits something that never settles\\)\\.$`,
  );

export const rows: BadInput[] = [
  {
    what: 'a module whose top level loops forever',
    args: register('loops_at_load_v1'),
    env: ownRoot,
    setup: writeModule('loops_at_load_v1', ['while (true) {}']),
    exit: 2,
    message: notLoaded('loops_at_load_v1'),
  },
  {
    what: 'a module whose top-level await never settles',
    args: register('awaits_forever_v1'),
    env: ownRoot,
    setup: writeModule('awaits_forever_v1', ['await new Promise(() => {});']),
    exit: 2,
    message: notLoaded('awaits_forever_v1'),
  },
  {
    what: 'a module that calls process.exit while it is imported',
    args: register('exits_at_load_v1'),
    env: ownRoot,
    setup: writeModule('exits_at_load_v1', ['process.exit(0);']),
    exit: 2,
    message:
      /^trader: Cannot register .*exits_at_load_v1\.ts: module file modules\/agents\/exits_at_load_v1\.ts called process\.exit\(0\) while loading; a module must return its result, never end the process\.$/,
  },
];
