import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  cliBackends,
  deadPid,
  demoAsOfIso,
  expectCleanError,
  expectJsonError,
  listRuns,
  liveProcess,
  runCount,
  runTrader,
  spawnTrader,
  type Target,
} from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

const runArgs = ['run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', demoAsOfIso, '--json'];
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

function writeLock(home: string, pid: number, host = os.hostname()): void {
  fs.writeFileSync(
    path.join(home, 'trader.lock'),
    JSON.stringify({ pid, host, command: 'trader run', since: '2024-01-01T00:00:00.000Z' }),
  );
}

describe.each(cliBackends)('locks through the real bin (%s)', (kind: CliBackend) => {
  /** Migrated, seeded and imported; no runs. Tests that change it work on a clone. */
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind);
  }, 180_000);
  afterAll(async () => t?.dispose());

  if (kind === 'pglite')
    it('a data directory held by a live process: run and runs list exit 4 naming its pid', async () => {
      const holder = liveProcess();
      const lock = path.join(t.home!, 'trader.lock');
      try {
        writeLock(t.home!, holder.pid);
        const locked = new RegExp(
          `^trader: The embedded database is in use by process ${holder.pid} on ${os.hostname()} \\(trader run, since 2024-01-01T00:00:00.000Z\\); wait for it to finish`,
        );
        // Both wait out the short-command window (10 s) before giving up, so side by side.
        const [run, list] = await Promise.all([runTrader(runArgs, t.env), runTrader(['runs', 'list'], t.env)]);
        expect(run.code).toBe(4);
        expect(expectJsonError(run, 'LOCKED').error.message).toMatch(new RegExp(`process ${holder.pid} `));
        expectCleanError(run, 4, locked);
        expect(list.stdout).toBe('');
        expectCleanError(list, 4, locked);
        // The holder's lock is left alone.
        expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(holder.pid);
      } finally {
        await holder.kill();
        fs.rmSync(lock, { force: true });
      }
      expect(await runCount(t)).toBe(0);
    }, 120_000);

  if (kind === 'pglite')
    it('a command that finds a short command holding the database waits for it, then works', async () => {
      const holder = liveProcess();
      const lock = path.join(t.home!, 'trader.lock');
      try {
        writeLock(t.home!, holder.pid);
        const list = spawnTrader(['runs', 'list', '--json'], t.env);
        // The holder finishes two seconds later, well inside the wait.
        await new Promise((r) => setTimeout(r, 2000));
        fs.rmSync(lock, { force: true });
        const r = await list.done;
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
      } finally {
        await holder.kill();
        fs.rmSync(lock, { force: true });
      }
    }, 120_000);

  if (kind === 'pglite')
    it('a lock left by another host is not taken over, even with a pid that is dead here', async () => {
      const lock = path.join(t.home!, 'trader.lock');
      try {
        writeLock(t.home!, await deadPid(), 'some-other-host');
        expectCleanError(await runTrader(['runs', 'list'], t.env), 4, /in use by process \d+ on some-other-host/);
      } finally {
        fs.rmSync(lock, { force: true });
      }
    }, 60_000);

  if (kind === 'pglite')
    it('a lock left by a dead process on this host is taken over, and released on exit', async () => {
      const home = await t.clone();
      try {
        const pid = await deadPid();
        writeLock(home.home!, pid);
        const list = await runTrader(['runs', 'list', '--json'], home.env);
        expect(list.code, list.stderr).toBe(0);
        expect(JSON.parse(list.stdout)).toEqual({ ok: true, runs: [] });
        expect(fs.existsSync(path.join(home.home!, 'trader.lock'))).toBe(false);

        writeLock(home.home!, pid);
        const run = await runTrader(runArgs, home.env);
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout).status).toBe('succeeded');
        expect(fs.existsSync(path.join(home.home!, 'trader.lock'))).toBe(false);
      } finally {
        await home.dispose();
      }
    }, 120_000);

  if (kind === 'postgres')
    it('a running row of a live process on this host: run exits 4 naming it; once the process is gone it is reaped as crashed', async () => {
      const db = await t.clone();
      const holder = liveProcess();
      try {
        const sql = db.sql!;
        const held = randomUUID();
        await sql`insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of, pid, host)
                values (${held}, 'default', 'running', 'binance', '1h', ${['BTC/USDT']}, now(), ${holder.pid}, ${os.hostname()})`;

        const locked = await runTrader(runArgs, db.env);
        expect(locked.code).toBe(4);
        expect(expectJsonError(locked, 'LOCKED').error.message).toMatch(
          new RegExp(
            `^Pipeline 'default' is already running \\(run ${held}, process ${holder.pid} on ${os.hostname()}, since .*\\); wait for it to finish\\.$`,
          ),
        );
        expect(await sql`select run_id, status from pipeline_runs`).toEqual([{ run_id: held, status: 'running' }]);

        await holder.kill();
        const run = await runTrader(runArgs, db.env);
        expect(run.code, run.stderr).toBe(0);
        const summary = JSON.parse(run.stdout);
        expect(summary.status).toBe('succeeded');
        const rows = await sql`select run_id, status, error, finished_at from pipeline_runs order by started_at`;
        expect(rows).toHaveLength(2);
        expect(rows.find((r) => r.run_id === held)).toMatchObject({
          status: 'crashed',
          error: `reaped: its process ${holder.pid} on ${os.hostname()} is gone`,
        });
        expect(rows.find((r) => r.run_id === held)!.finished_at).not.toBeNull();
        expect(rows.find((r) => r.run_id === summary.run_id)).toMatchObject({ status: 'succeeded', error: null });
      } finally {
        await holder.kill();
        await db.dispose();
      }
    }, 120_000);

  if (kind === 'postgres')
    it('a running row from another host is trusted while it heartbeats, and reaped once it falls silent', async () => {
      const db = await t.clone();
      try {
        const sql = db.sql!;
        const held = randomUUID();
        // A pid that is dead here says nothing about a process on another host.
        await sql`insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of, pid, host)
                values (${held}, 'default', 'running', 'binance', '1h', ${['BTC/USDT']}, now(), ${await deadPid()}, 'some-other-host')`;
        const locked = await runTrader(runArgs, db.env);
        expect(locked.code).toBe(4);
        expect(expectJsonError(locked, 'LOCKED').error.message).toMatch(
          new RegExp(`run ${held}, process \\d+ on some-other-host`),
        );

        await sql`update pipeline_runs set heartbeat_at = now() - interval '2 hours' where run_id = ${held}`;
        const run = await runTrader(runArgs, db.env);
        expect(run.code, run.stderr).toBe(0);
        const [row] = await sql`select status, error from pipeline_runs where run_id = ${held}`;
        expect(row).toEqual({ status: 'crashed', error: 'reaped: no heartbeat for over 600 s' });
      } finally {
        await db.dispose();
      }
    }, 120_000);

  it('runs started at the same moment never overlap: each succeeds or exits 4, at least one succeeds', async () => {
    const db = await t.clone();
    try {
      const n = kind === 'postgres' ? 3 : 2;
      const spawned = Array.from({ length: n }, () => spawnTrader(runArgs, db.env));
      const results = await Promise.all(spawned.map((s) => s.done));
      const pids = spawned.map((s) => s.pid);
      const succeeded = results.filter((r) => r.code === 0);
      for (const r of results) expect([0, 4], r.stderr).toContain(r.code);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      const succeededIds = succeeded.map((r) => JSON.parse(r.stdout) as { run_id: string; status: string });
      for (const s of succeededIds) expect(s.status).toBe('succeeded');

      for (const r of results.filter((x) => x.code === 4)) {
        const message = expectJsonError(r, 'LOCKED').error.message;
        if (kind === 'pglite') {
          // The lock file names another of these processes.
          const holder = Number(/in use by process (\d+) /.exec(message)?.[1]);
          expect(pids.filter((p) => p !== r.pid)).toContain(holder);
        } else {
          // The row lock names a run that then finished successfully.
          const holder = /already running \(run ([^,]+),/.exec(message)?.[1];
          expect(holder).toMatch(uuid);
          expect(succeededIds.map((s) => s.run_id)).toContain(holder);
        }
      }

      if (kind === 'pglite') expect(fs.existsSync(path.join(db.home!, 'trader.lock'))).toBe(false);
      const runs = await listRuns(db);
      // One row per successful process, none left running, no row for a locked-out one.
      expect(runs.map((r) => r.run_id).sort()).toEqual(succeededIds.map((s) => s.run_id).sort());
      expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
      // Never two running at once: the successful runs' [started, finished] intervals do not overlap
      // (up to a few ms: a row's started_at is its statement's start, which may precede the commit it waited for).
      const spans = runs
        .map((r) => [Date.parse(r.started_at), Date.parse(r.finished_at!)] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1] - 20);
    } finally {
      await db.dispose();
    }
  }, 180_000);
});
