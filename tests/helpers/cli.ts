import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { expect } from 'vitest';
import { packageRoot, sampleDataDir } from '../../core/paths.ts';
import { testV8Flags } from './v8-flags.ts';
import { adminUrl, createPostgresDatabase, databaseUrl, dropDatabase, migratedTemplate } from './db.ts';
import { openPgliteDb } from '../../store/pglite-db.ts';
import { cloneDatabase, scratchCopyDir, sharedTemplate, templateFile, type TemplateRef } from './templates.ts';

/** Helpers for tests that spawn the real `trader` bin against a database of their own. */

export type CliBackend = 'pglite' | 'postgres';
export const cliBackends: CliBackend[] = ['pglite', 'postgres'];
/**
 * For end-to-end suites of commands whose database work is already tested in-process on
 * both backends (trading/*): one backend, Postgres, because a spawned bin costs about 0.5 s
 * of CPU there against 2.5 s on PGlite (the wasm engine starts in every process), and CI
 * has a time budget. What only the embedded default does through the bin (its lock, the
 * shared socket, the quickstart demo) is tested on it, by the suites that use cliBackends.
 */
export const adapterCliBackend: CliBackend[] = ['postgres'];

export const traderBin = path.join(packageRoot, 'bin', 'trader.js');
/** Node's arguments for `trader ...args`. */
export const traderArgv = (args: string[]): string[] => [...testV8Flags, traderBin, ...args];
export const demoAsOfIso = '2024-03-05T02:00:00Z';
export const sampleCsv = (base: 'BTC' | 'ETH') => path.join(sampleDataDir, `binance_${base}-USDT_1h_2024.csv`);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/** The environment every spawn starts from: no database, modules root or debug flags leak in from the caller. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TRADER_LOG_LEVEL: 'warn' };
  for (const k of [
    'DATABASE_URL',
    'TRADER_HOME',
    'TRADER_DEBUG',
    'TRADER_MODULES_ROOT',
    'TRADER_SYSTEM_MODE',
    'TRADER_LOG_DIR',
    'TRADER_RUN_STALE_SECONDS',
  ])
    delete env[k];
  return { ...env, ...extra };
}

/**
 * Spawns `node bin/trader.js ...args`; resolves with the exit code and both streams, never rejects on a non-zero exit.
 * `input` is piped to stdin (answers to prompts, one per line); without it stdin is closed.
 */
export function spawnTrader(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = packageRoot,
  input?: string,
): { pid: number; done: Promise<CliResult>; stderr: () => string } {
  const child = spawn(process.execPath, traderArgv(args), {
    env,
    cwd,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, pid: child.pid! }));
  });
  return { pid: child.pid!, done, stderr: () => stderr };
}

export function runTrader(args: string[], env: NodeJS.ProcessEnv, cwd?: string, input?: string): Promise<CliResult> {
  return spawnTrader(args, env, cwd, input).done;
}

/** `trader ...args` with `input` piped to stdin, e.g. a PIN: `withInput(t, '123456\n', 'halt', 'clear')`. */
export function withInput(t: Target, input: string, ...args: string[]): Promise<CliResult> {
  return runTrader(args, t.env, undefined, input);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `trader ...args` on a pseudo-terminal, with `answer` typed at the prompt; output is stdout and stderr merged. */
export function onTerminal(t: Target, answer: string, ...args: string[]): Promise<CliResult> {
  const command = [process.execPath, ...traderArgv(args)].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: t.env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(`${answer}\n`);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, pid: child.pid! }));
  });
}

/** A `trader` invocation that must succeed; shows stderr when it does not. */
export async function ok(t: Target, ...args: string[]): Promise<CliResult> {
  const r = await runTrader(args, t.env);
  expect(r.code, `trader ${args.join(' ')} failed:\n${r.stderr}`).toBe(0);
  return r;
}

/**
 * A user error: the documented exit code, one `trader: ...` sentence on stderr (commander's
 * usage errors add exactly one "(run with --help for usage)" hint line), no stack trace.
 */
export function expectCleanError(
  r: CliResult,
  exit: number,
  message: RegExp,
  options: { usageHint?: boolean; extraLines?: RegExp } = {},
): void {
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Error:|TraderError|node:internal/);
  expect(lines[0]).toMatch(/^trader: \S/);
  expect(lines[0]).toMatch(message);
  if (options.usageHint) expect(lines.slice(1)).toEqual(['(run with --help for usage)']);
  else if (options.extraLines) for (const l of lines.slice(1)) expect(l).toMatch(options.extraLines);
  else expect(lines).toHaveLength(1);
}

/** A refusal after a printed warning: the warning's lines, then one clean `trader: ...` sentence last. */
export function expectWarnedError(r: CliResult, exit: number, warning: RegExp, message: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.slice(0, -1).join('\n')).toMatch(warning);
  expectCleanError({ ...r, stderr: `${lines.at(-1)}\n` }, exit, message);
  expect(r.stderr).not.toMatch(/^\s+at |TraderError|node:internal/m);
}

/** With --json an error is one JSON document on stdout: { ok: false, error: { code, message } }. */
export function expectJsonError(r: CliResult, code: string): { ok: false; error: { code: string; message: string } } {
  const doc = JSON.parse(r.stdout) as { ok: false; error: { code: string; message: string } };
  expect(doc).toEqual({ ok: false, error: { code, message: expect.any(String) } });
  expect(r.stderr.trimEnd()).toBe(`trader: ${doc.error.message}`);
  return doc;
}

/** A database the CLI can reach: an embedded home (TRADER_HOME) or a Postgres database (DATABASE_URL). */
export interface Target {
  kind: CliBackend;
  env: NodeJS.ProcessEnv;
  /** The PGlite home, for lock-file tests. */
  home?: string;
  /** Postgres only: the database URL and a client on it. */
  url?: string;
  sql?: postgres.Sql;
  /** An independent copy of this database as it is now (no CLI process may be using it). */
  clone(): Promise<Target>;
  /** Replaces this database with a copy of a template's (an embedded home, or a Postgres database's name). */
  restoreFrom(template: TemplateRef): Promise<void>;
  dispose(): Promise<void>;
}

/** A new, empty TRADER_HOME among this run's database copies (see tests/global-setup.ts). */
export function tempHome(): string {
  return scratchCopyDir('cli-');
}

function pgliteTarget(home: string): Target {
  return {
    kind: 'pglite',
    home,
    env: baseEnv({ TRADER_HOME: home }),
    async clone() {
      const copy = tempHome();
      fs.cpSync(home, copy, { recursive: true });
      fs.rmSync(path.join(copy, 'trader.lock'), { force: true });
      return pgliteTarget(copy);
    },
    async restoreFrom(template) {
      fs.cpSync(template.home!, home, { recursive: true });
      fs.rmSync(path.join(home, 'trader.lock'), { force: true });
    },
    async dispose() {
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

function connect(url: string): postgres.Sql {
  return postgres(url, { onnotice: () => {}, max: 2 });
}

function postgresTarget(url: string, drop: () => Promise<void>): Target {
  // A TRADER_HOME of its own too, so a bug that ignores DATABASE_URL cannot touch the repo's .trader/.
  const home = tempHome();
  const name = new URL(url).pathname.slice(1);
  const target: Target = {
    kind: 'postgres',
    url,
    sql: connect(url),
    env: baseEnv({ DATABASE_URL: url, TRADER_HOME: home }),
    async clone() {
      const copyName = `trader_t_${randomBytes(6).toString('hex')}`;
      await target.sql!.end();
      try {
        await cloneDatabase(name, copyName);
      } finally {
        target.sql = connect(url);
      }
      const copyUrl = new URL(url);
      copyUrl.pathname = `/${copyName}`;
      return postgresTarget(copyUrl.toString(), () => dropDatabase(copyName));
    },
    async restoreFrom(template) {
      await target.sql!.end();
      const a = postgres(adminUrl, { onnotice: () => {}, max: 1 });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
      await cloneDatabase(template.database!, name);
      target.sql = connect(url);
    },
    async dispose() {
      await target.sql!.end();
      fs.rmSync(home, { recursive: true, force: true });
      await drop();
    },
  };
  return target;
}

/**
 * An initialised, empty embedded data directory, made once per test run: PGlite's initdb
 * costs about nine seconds of CPU in every `trader` that meets an empty TRADER_HOME.
 */
function emptyPgliteData(): Promise<TemplateRef> {
  return sharedTemplate('pglite-empty', async () => {
    const dataDir = templateFile('pglite-empty');
    await (await openPgliteDb({ dataDir })).close();
    return { dataDir };
  });
}

/**
 * A fresh, empty database of the given kind: on PGlite a home whose data directory is
 * initialised but holds nothing of trader's (the bin's own first start on an empty home is
 * tested by tests/market/data-cli.test.ts and the bad-input rows with homes of their own).
 */
export async function freshTarget(kind: CliBackend): Promise<Target> {
  if (kind === 'pglite') {
    const home = tempHome();
    fs.cpSync((await emptyPgliteData()).dataDir!, path.join(home, 'pgdata'), { recursive: true });
    return pgliteTarget(home);
  }
  const { url, drop } = await createPostgresDatabase();
  return postgresTarget(url, drop);
}

/**
 * A fresh database of the given kind holding the migrations and nothing else, as `migrate()`
 * in process leaves it: a copy of the run's migrated template (tests/helpers/db.ts), which
 * costs a fraction of opening the database and running every migration again.
 */
export async function migratedTarget(kind: CliBackend): Promise<Target> {
  return templateTarget(kind, await migratedTemplate(kind));
}

/**
 * A new database of the given kind copied from a template: an embedded home, an embedded
 * data directory (becomes the home's pgdata/), or a Postgres database's name.
 */
export async function templateTarget(kind: CliBackend, ref: TemplateRef): Promise<Target> {
  if (kind === 'pglite') {
    const home = tempHome();
    if (ref.home) {
      fs.cpSync(ref.home, home, { recursive: true });
      fs.rmSync(path.join(home, 'trader.lock'), { force: true });
    } else fs.cpSync(ref.dataDir!, path.join(home, 'pgdata'), { recursive: true });
    return pgliteTarget(home);
  }
  const name = `trader_t_${randomBytes(6).toString('hex')}`;
  await cloneDatabase(ref.database!, name);
  return postgresTarget(databaseUrl(name), () => dropDatabase(name));
}

export interface ListedRun {
  run_id: string;
  status: string;
  pipeline_id: string;
  symbols: string[];
  started_at: string;
  finished_at: string | null;
  error: string | null;
}

/** The recorded runs, read through `trader runs list --json` (the only way into a PGlite home). */
export async function listRuns(t: Target): Promise<ListedRun[]> {
  const r = await ok(t, 'runs', 'list', '--json', '--limit', '1000');
  const doc = JSON.parse(r.stdout) as { ok: true; runs: ListedRun[] };
  expect(doc.ok).toBe(true);
  return doc.runs;
}

/** Row count of pipeline_runs: by SQL on Postgres, through the CLI on PGlite. */
export async function runCount(t: Target): Promise<number> {
  if (t.sql) return Number((await t.sql`select count(*)::int as n from pipeline_runs`)[0]!.n);
  return (await listRuns(t)).length;
}

/** A process that stays alive until killed: its pid stands in for "another trader process". */
export function liveProcess(): { pid: number; kill: () => Promise<void> } {
  const child = spawn('sleep', ['120'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A pid that belongs to no process: a child that has already exited and been reaped. */
export async function deadPid(): Promise<number> {
  const p = liveProcess();
  await p.kill();
  return p.pid;
}
