import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../../core/paths.ts';
import { openDb } from '../../store/open.ts';
import type { PgliteDb } from '../../store/pglite-db.ts';
import { socketDir, socketFile } from '../../store/socket-path.ts';
import { demoAsOfIso, ok, runTrader, type Target, traderArgv } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/** Starts `trader serve` on the target and resolves once it listens (it then holds and shares the embedded database). */
async function startServe(
  t: Target,
): Promise<{ pid: number; stop: (signal: NodeJS.Signals) => Promise<number | null> }> {
  const child = spawn(process.execPath, traderArgv(['serve', '--port', '0']), {
    env: t.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (/listening on http/.test(stdout)) resolve();
    });
    void exited.then(() => reject(new Error(`serve exited early:\n${stderr}`)));
  });
  return {
    pid: child.pid!,
    stop: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * The embedded database while `trader serve` holds it: other commands reach it through the
 * holder's private socket, concurrently, and a killed holder leaves nothing in the way.
 */
describe('the embedded database shared on a socket by its holder', () => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget('pglite');
    await ok(t, 'serve', 'token', 'create', '--name', 'n8n');
  }, 240_000);
  afterAll(async () => t?.dispose());

  it('serve shares it: status, token revoke, runs list, run and db sql succeed at once through a 0600 socket in a 0700 directory; kill -9 leaves nothing in the way', async () => {
    const serve = await startServe(t);
    let killed = false;
    try {
      const lock = JSON.parse(fs.readFileSync(path.join(t.home!, 'trader.lock'), 'utf8')) as {
        pid: number;
        socket: string;
      };
      expect(lock).toMatchObject({ pid: serve.pid, socket: socketFile(t.home!) });
      expect(fs.statSync(socketDir(t.home!)).mode & 0o777).toBe(0o700);
      const sock = fs.statSync(socketFile(t.home!));
      expect(sock.isSocket()).toBe(true);
      expect(sock.mode & 0o777).toBe(0o600);

      // The import writes a new market's candles by binary COPY, through the socket too.
      const csv = path.join(packageRoot, 'data/sample/binance_ETH-USDT_1h_2024.csv');
      const [status, revoke, list, run, sql, imported] = await Promise.all([
        runTrader(['status', '--json'], t.env),
        runTrader(['serve', 'token', 'revoke', 'n8n'], t.env),
        runTrader(['runs', 'list', '--json'], t.env),
        runTrader(['run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', demoAsOfIso, '--offline', '--json'], t.env),
        runTrader(['db', 'sql', 'select count(*)::int as n from module_registry', '--json'], t.env),
        runTrader(['data', 'import', csv, '--symbol', 'XRP/USDT', '--timeframe', '1h', '--json'], t.env),
      ]);
      for (const r of [status, revoke, list, run, sql, imported]) expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ rows: 8784, inserted_or_updated: 8784 });
      expect(revoke.stdout).toMatch(/Token 'n8n' revoked/);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded' });
      expect((JSON.parse(sql.stdout) as { rows: { n: number }[] }).rows[0]!.n).toBeGreaterThan(0);
      // What went through the socket is in the holder's database.
      const tokens = await runTrader(['serve', 'token', 'list', '--all', '--json'], t.env);
      expect(JSON.parse(tokens.stdout)).toMatchObject({ tokens: [{ name: 'n8n', revoked_at: expect.any(String) }] });

      expect(await serve.stop('SIGKILL')).toBeNull();
      killed = true;
      // The dead holder's lock and socket are taken over by the next command, which opens the data directly.
      const after = await runTrader(['runs', 'list', '--json'], t.env);
      expect(after.code, after.stderr).toBe(0);
      expect((JSON.parse(after.stdout) as { runs: unknown[] }).runs).toHaveLength(1);
      expect(fs.existsSync(socketFile(t.home!))).toBe(false);
      expect(fs.existsSync(path.join(t.home!, 'trader.lock'))).toBe(false);
    } finally {
      if (!killed) await serve.stop('SIGTERM');
    }
  }, 240_000);

  it('schedule run holds and shares it for its whole life, and removes the socket when stopped', async () => {
    const child = spawn(process.execPath, traderArgv(['schedule', 'run']), { env: t.env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lock = path.join(t.home!, 'trader.lock');
      while (!fs.existsSync(socketFile(t.home!)) || !fs.existsSync(lock)) await sleep(100);
      expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toMatchObject({
        pid: child.pid,
        command: 'trader schedule run',
      });
      const r = await runTrader(['db', 'sql', 'select count(*)::int as n from schedules', '--json'], t.env);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ rows: [{ n: 0 }] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(fs.existsSync(socketFile(t.home!))).toBe(false);
  }, 120_000);

  it('db shell holds the database for psql, through the socket, and releases it when psql exits', async () => {
    const r = await runTrader(['db', 'shell'], t.env, undefined, 'select 41 + 1 as answer;\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/answer\s*\n-+\s*\n\s*42\s*\n/);
    expect(fs.existsSync(socketFile(t.home!))).toBe(false);
    expect(fs.existsSync(path.join(t.home!, 'trader.lock'))).toBe(false);
  }, 120_000);

  it('no client statement runs inside the holder transaction, and clients never see each other half-way', async () => {
    const home = (await t.clone()).home!;
    const env = { TRADER_HOME: home };
    const holder = await openDb({ env, command: 'test holder', share: true });
    const clients = await Promise.all([1, 2, 3].map(() => openDb({ env, command: 'test client' })));
    try {
      expect(clients.map((c) => c.location)).toEqual(clients.map(() => expect.stringMatching(/through the socket/)));
      let clientRead: Promise<unknown> | undefined;
      await expect(
        holder.transaction(async (tx) => {
          await tx.query(`insert into asset_config (symbol) values ('HALF/WAY')`);
          clientRead = clients[0]!.query(`select count(*)::int as n from asset_config where symbol = 'HALF/WAY'`);
          // PGlite runs statements on this thread, so the transaction must yield for the client's statement to arrive.
          while ((holder as PgliteDb).gate.waiting === 0) await sleep(10);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      // Run inside the holder's transaction, the client would have counted the row rolled back since.
      expect(await clientRead).toEqual([{ n: 0 }]);

      // Many parameterised statements (Parse/Bind/Execute/Sync each) from several clients at once:
      // each gets its own answer back, and a client's transaction is never entered by another.
      const answers = await Promise.all(
        clients.flatMap((c, i) =>
          Array.from({ length: 30 }, (_, k) =>
            c.query<{ v: number }>('select $1::int as v', [i * 100 + k]).then((rows) => rows[0]!.v - (i * 100 + k)),
          ),
        ),
      );
      expect(answers.every((d) => d === 0)).toBe(true);
      const seen = await Promise.all(
        clients.map((c, i) =>
          c.transaction(async (tx) => {
            await tx.query(`insert into asset_config (symbol) values ($1)`, [`C${i}/USDT`]);
            await sleep(50); // yields, so the other clients' statements arrive meanwhile
            return tx.query<{ n: number }>(`select count(*)::int as n from asset_config where symbol like 'C_/USDT'`);
          }),
        ),
      );
      expect(seen.map((rows) => rows[0]!.n).sort()).toEqual([1, 2, 3]);
    } finally {
      for (const c of clients) await c.close();
      await holder.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
