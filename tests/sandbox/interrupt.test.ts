import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interruptSandboxes, labelId, Sandbox } from '../../sandbox/sandbox.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { tempModulesRoot } from '../helpers/pipeline.ts';

/**
 * A stop request (SIGTERM) is final for the process, so this file holds nothing else: the
 * request in flight fails as INTERRUPTED, and so does every later one, in any sandbox,
 * without starting a worker: a stop that lands between two calls must not let the next
 * call (perhaps the one that loops) run.
 */
describe('a stop request', () => {
  const root = tempModulesRoot();
  const write = (name: string, body: string) => {
    const file = path.join(root, 'agents', `${name}.ts`);
    fs.writeFileSync(file, `${body}\nexport const manifest = {};\n`);
    return file;
  };
  const load = (s: Sandbox, name: string, body: string) =>
    s.request({ op: 'load', file: write(name, body), sha256: name, label: `${name}.ts`, id: labelId(`${name}.ts`) });
  afterAll(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

  it('fails the request in flight and every later request as INTERRUPTED, starting no new worker', async () => {
    const s = new Sandbox();
    const idle = new Sandbox();
    try {
      const hanging = load(s, 'hangs', 'await new Promise(() => {});');
      await new Promise((r) => setTimeout(r, 200));
      interruptSandboxes('stopped by SIGTERM before it finished; nothing was half-written');
      await expectTraderError(hanging, 'INTERRUPTED', /^stopped by SIGTERM/);
      await expectTraderError(load(s, 'fine', ''), 'INTERRUPTED', /^stopped by SIGTERM/);
      await expectTraderError(load(idle, 'fine2', ''), 'INTERRUPTED', /^stopped by SIGTERM/);
      expect(s.workersStarted).toBe(1);
      expect(idle.workersStarted).toBe(0);
    } finally {
      await Promise.all([s.close(), idle.close()]);
    }
  });
});
