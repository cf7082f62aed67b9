import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadPid, demoAsOfIso, runTrader, type Target, traderArgv } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/** Single-quotes one argument for sh. */
const sh = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;

/**
 * `trader ...args` on a pseudo-terminal (util-linux `script`): stdout and stderr are both the
 * terminal, as for a user at a shell. Resolves with what the terminal showed, lines without \r.
 */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; lines: string[] }> {
  const command = [process.execPath, ...traderArgv(args)].map(sh).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let shown = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (shown += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, lines: shown.replaceAll('\r', '').split('\n').filter(Boolean) }));
  });
}

const isJson = (line: string) => line.trimStart().startsWith('{');

/**
 * The output model: at a terminal a human sees the command's own lines and warnings as
 * text, never JSON log lines between them; every log line goes to the log file as JSON;
 * `--log-format json` (or stderr that is not a terminal) puts JSON lines on stderr.
 */
describe('log lines on a terminal, in the log file and for scripts (postgres)', () => {
  let t: Target;
  let env: NodeJS.ProcessEnv;
  const runArgs = ['run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, '--offline'];
  const logged = () =>
    fs
      .readFileSync(path.join(t.env.TRADER_HOME!, 'logs', 'test.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });

  beforeAll(async () => {
    t = await demoTarget('postgres');
    env = { ...t.env, TRADER_LOG_LEVEL: 'info' };
  }, 240_000);
  afterAll(async () => t?.dispose());

  it('at a terminal: the trace only, no JSON and no info lines; the log file has them as JSON', async () => {
    const r = await onTerminal(runArgs, env);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.lines[0]).toMatch(/^run \S+ {2}succeeded$/);
    expect(r.lines.filter(isJson)).toEqual([]);
    expect(r.lines.filter((l) => l.startsWith('[info]'))).toEqual([]);
    expect(logged().map((l) => l.msg)).toEqual(expect.arrayContaining(['run started', 'run finished']));
  }, 120_000);

  it('at a terminal: a warning is one human line', async () => {
    await t.sql!`insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of, pid, host)
      values (${randomUUID()}, 'default', 'running', 'binance', '1h', ${['BTC/USDT']}, now(), ${await deadPid()}, ${os.hostname()})`;
    const r = await onTerminal(['runs', 'list'], env);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.lines.filter(isJson)).toEqual([]);
    expect(r.lines.filter((l) => l.startsWith('[warn]'))).toEqual([
      expect.stringMatching(
        /^\[warn\] reaped a stale running run as crashed: its process \d+ on .* is gone {2}run_id=/,
      ),
    ]);
  }, 120_000);

  it('--log-format json (before or after the command) puts JSON lines on the terminal; human shows info as text', async () => {
    for (const args of [
      [...runArgs, '--log-format', 'json'],
      ['--log-format=json', ...runArgs],
    ]) {
      const r = await onTerminal(args, env);
      expect(r.code, r.lines.join('\n')).toBe(0);
      const json = r.lines.filter(isJson).map((l) => JSON.parse(l) as { msg: string });
      expect(json.map((l) => l.msg)).toEqual(expect.arrayContaining(['run started', 'run finished']));
    }
    const human = await onTerminal([...runArgs, '--log-format', 'human'], env);
    expect(human.lines.filter(isJson)).toEqual([]);
    expect(human.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^\[info\] run started {2}run_id=/)]));
  }, 120_000);

  it('off a terminal (a script, n8n): JSON lines on stderr, the document alone on stdout', async () => {
    const r = await runTrader([...runArgs, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded' });
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
  }, 120_000);
});
