import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contextDocsPath, contextDocsRelPath } from '../../orchestrator/context-docs.ts';
import { baseEnv, runTrader } from '../helpers/cli.ts';

describe('trader schema docs --check (real bin)', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-cli-docs-'));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('exits 0 on the checked-in docs and writes nothing', async () => {
    const before = fs.readFileSync(contextDocsPath, 'utf8');
    const mtime = fs.statSync(contextDocsPath).mtimeMs;
    const env = baseEnv({ TRADER_HOME: home });

    const text = await runTrader(['schema', 'docs', '--check'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(`${contextDocsRelPath} is up to date.\n`);

    const json = await runTrader(['schema', 'docs', '--check', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, file: contextDocsRelPath, up_to_date: true });

    expect(fs.readFileSync(contextDocsPath, 'utf8')).toBe(before);
    expect(fs.statSync(contextDocsPath).mtimeMs).toBe(mtime);
    // It needs no database: nothing was created in the embedded home.
    expect(fs.readdirSync(home)).toEqual([]);
  }, 60_000);
});
