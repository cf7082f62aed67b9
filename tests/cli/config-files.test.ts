import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterCliBackend, ok, onTerminal, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/**
 * The file commands through the real bin, as a new user runs them: export to a file, apply
 * it back (nothing to apply), apply a change with --yes, and config.example.yaml as shipped.
 * The use cases are tested on both backends in tests/orchestrator/{pipeline-files,system-config}.test.ts.
 */
describe.each(adapterCliBackend)('pipeline, strategy and config files through the bin (%s)', (kind) => {
  let t: Target;
  let dir: string;
  beforeAll(async () => {
    t = await demoTarget(kind, { data: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-files-'));
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('strategy export --out, then apply: nothing to apply; an edit applies with --yes as version 2', async () => {
    const file = path.join(dir, 'breakout.yaml');
    expect((await ok(t, 'strategy', 'export', 'breakout', '--out', file)).stdout).toBe(
      `wrote strategy breakout to ${file}\n`,
    );
    expect((await ok(t, 'strategy', 'apply', file)).stdout).toBe(
      `nothing to apply: ${file} matches strategy breakout\n`,
    );
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('    - module: fvg_v1\n', ''));
    const applied = await ok(t, 'strategy', 'apply', file, '--yes');
    expect(applied.stdout).toContain('-     - module: fvg_v1');
    expect(applied.stdout.trimEnd().split('\n').at(-1)).toBe('applied: strategy breakout is now version 2');
    const shown = await ok(t, 'strategy', 'show', 'breakout');
    expect(shown.stdout).toMatch(/# strategy breakout, version 2; versions: 2 \(applied .*\), 1 \(found .*\)\n$/);
    expect((await ok(t, 'strategy', 'export', 'breakout', '--version', '1')).stdout).toContain('- module: fvg_v1');
  });

  it('on a terminal the diff is shown before the question: no applies nothing (audited REJECTED), y applies', async () => {
    const file = path.join(dir, 'pipeline.yaml');
    await ok(t, 'pipeline', 'export', 'default', '--out', file);
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('- module: breakout_v1', '- module: breakout_retest_v1'),
    );
    const declined = await onTerminal(t, 'n', 'pipeline', 'apply', file);
    expect(declined.code).toBe(2);
    expect(declined.stdout).toMatch(
      /- {5}- module: breakout_v1\r?\n\+ {5}- module: breakout_retest_v1[\s\S]*Apply this change to pipeline default\? \[y\/N\]/,
    );
    expect(declined.stdout).toContain('trader: You did not confirm; pipeline default is unchanged.');
    expect((await ok(t, 'pipeline', 'show', 'default')).stdout).toContain('- module: breakout_v1');
    const rejected = await ok(t, 'audit', 'search', '--action', 'PIPELINE_APPLIED', '--status', 'REJECTED', '--json');
    expect((JSON.parse(rejected.stdout) as { rows: unknown[] }).rows).toHaveLength(1);
    const accepted = await onTerminal(t, 'y', 'pipeline', 'apply', file);
    expect(accepted.code, accepted.stdout).toBe(0);
    expect(accepted.stdout).toContain('applied: pipeline default is now version 2');
  });

  it('config.example.yaml applies as shipped, then is nothing to apply; --json says what changed', async () => {
    const example = path.resolve(import.meta.dirname, '../../config.example.yaml');
    const first = JSON.parse((await ok(t, 'config', 'apply', example, '--yes', '--json')).stdout) as Record<
      string,
      unknown
    >;
    expect(first).toMatchObject({ ok: true, name: 'TEST', changed: true, version: 2 });
    expect(first.diff).toContain('+   BTC/USDT:');
    expect((await ok(t, 'config', 'apply', example)).stdout).toMatch(
      /^nothing to apply: .*config\.example\.yaml matches configuration TEST \(version 2\)\n$/,
    );
    const audit = await ok(t, 'audit', 'search', '--action', 'CONFIG_APPLIED', '--json');
    expect(audit.stdout).toContain('"markets.BTC/USDT"');
  });
});
