import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A Postgres cluster of the test's own, on a free port in the run's scratch folder: the
 * scale-out test restarts it mid-run, which it must not do to the shared server on 5432
 * that the other test files use at the same time. Debian's binaries; root may not run
 * Postgres, so it runs as the postgres user (as PgBouncer does in pgbouncer.ts).
 */
const binDir = (() => {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(root, v, 'bin')).find((d) => fs.existsSync(path.join(d, 'initdb')));
})();

export const throwawayPostgresAvailable = binDir !== undefined;

const asPostgres = (cmd: string, args: string[]) =>
  process.getuid?.() === 0 ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args };

export interface ThrowawayPostgres {
  url: string;
  /** A crash and a start: the postmaster is killed at once (SIGQUIT, no checkpoint), then started again; recovery replays the WAL. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  if (!binDir) throw new Error('no Postgres server binaries under /usr/lib/postgresql');
  // Its own folder outside the run's scratch folder, which only root may enter; the postgres user owns it.
  const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'trader-pg-'));
  const data = path.join(dir, 'data');
  fs.chmodSync(dir, 0o777);
  const init = asPostgres(path.join(binDir, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const r = spawnSync(init.cmd, init.args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
  const port = await freePort();
  const start = async () => {
    const p = asPostgres(path.join(binDir, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=100',
    ]);
    spawn(p.cmd, p.args, { stdio: 'ignore', detached: true }).unref();
    await waitReady(port);
  };
  const postmasterPid = () => Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const kill = async (signal: NodeJS.Signals) => {
    let pid: number;
    try {
      pid = postmasterPid();
    } catch {
      return;
    }
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() {
      await kill('SIGQUIT');
      fs.rmSync(path.join(data, 'postmaster.pid'), { force: true });
      await start();
    },
    async stop() {
      await kill('SIGQUIT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitReady(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', String(port), '-q']);
    if (r.status === 0) return;
    await sleep(100);
  }
  throw new Error(`the throwaway Postgres on port ${port} did not start`);
}
