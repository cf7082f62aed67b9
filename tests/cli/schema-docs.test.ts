import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedDocs } from '../../orchestrator/generated-docs.ts';
import { baseEnv, runTrader } from '../helpers/cli.ts';

describe('trader schema docs --check (real bin)', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-cli-docs-'));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('exits 0 on the checked-in docs and writes nothing', async () => {
    const before = generatedDocs.map((d) => [fs.readFileSync(d.absPath, 'utf8'), fs.statSync(d.absPath).mtimeMs]);
    const env = baseEnv({ TRADER_HOME: home });

    const text = await runTrader(['schema', 'docs', '--check'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(generatedDocs.map((d) => `${d.relPath} is up to date.\n`).join(''));

    const json = await runTrader(['schema', 'docs', '--check', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      files: generatedDocs.map((d) => ({ file: d.relPath, up_to_date: true })),
    });

    expect(generatedDocs.map((d) => [fs.readFileSync(d.absPath, 'utf8'), fs.statSync(d.absPath).mtimeMs])).toEqual(
      before,
    );
    // It needs no database: nothing was created in the embedded home.
    expect(fs.readdirSync(home)).toEqual([]);
  }, 60_000);
});
