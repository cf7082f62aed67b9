import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TraderError } from '../core/errors.ts';
import type { Db } from './db.ts';
import { acquireLockFile, isAlive, type Holder } from './lock-file.ts';
import { connectThroughSocket } from './socket-client.ts';
import { prepareSocketPath, socketFile, usableSocketFile } from './socket-path.ts';

export interface OpenOptions {
  env?: NodeJS.ProcessEnv;
  /** What the process is doing, shown to a second process that finds the lock taken. */
  command?: string;
  /**
   * Serve the embedded database to other trader commands on a Unix socket for as long as this
   * process holds it (the long-running holders: serve, schedule run, db shell).
   */
  share?: boolean;
}

/** The embedded database's home: `TRADER_HOME`, else `.trader/` under the working directory. */
export function traderHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.TRADER_HOME || '.trader');
}

/** How long a command waits for a holder that has taken the lock to start answering on its socket. */
const holderStartMs = 20_000;
/**
 * How long a command waits for a holder that does not share (a short command: `status`,
 * `run`, `optimise list`...) to let go, before giving up with the lock's message. Long enough
 * for a short command, so two commands started together both work.
 */
const shortHolderMs = 10_000;

/** The holder named by a LOCKED error, when it shares the database on a socket. */
function sharingHolder(e: unknown): Holder | undefined {
  if (!(e instanceof TraderError) || e.code !== 'LOCKED') return undefined;
  const holder = e.details as Holder | undefined;
  return holder?.socket ? holder : undefined;
}

/**
 * Postgres when `DATABASE_URL` is set, otherwise the embedded PGlite in `traderHome()`: opened
 * directly when no process holds it, or through the holder's socket when one shares it.
 */
export async function openDb(options: OpenOptions = {}): Promise<Db> {
  const env = options.env ?? process.env;
  // Each driver is imported only when used: PGlite's WASM alone takes a fifth of a second to load.
  if (env.DATABASE_URL) return (await import('./postgres-db.ts')).openPostgresDb(env.DATABASE_URL);
  const home = traderHome(env);
  fs.mkdirSync(home, { recursive: true });
  const lock = path.join(home, 'trader.lock');
  const socket = options.share ? (usableSocketFile(home) ?? undefined) : undefined;
  const deadline = Date.now() + holderStartMs;
  const shortDeadline = Date.now() + shortHolderMs;
  for (;;) {
    let release: () => void;
    try {
      release = acquireLockFile(lock, options.command ?? 'trader', socket);
    } catch (e) {
      const holder = sharingHolder(e);
      if (!holder) {
        if (!(e instanceof TraderError && e.code === 'LOCKED') || Date.now() >= shortDeadline) throw e;
        await sleep(100);
        continue;
      }
      try {
        return await connectThroughSocket(holder, path.join(home, 'pgdata'));
      } catch (err) {
        // A holder still starting (socket not yet listening) or just gone (lock about to be free): try again.
        const retry =
          Date.now() < deadline && (!isAlive(holder.pid) || !fs.existsSync(holder.socket!) || starting(holder));
        if (!retry) throw err;
        await sleep(250);
        continue;
      }
    }
    return openHeld(home, release, socket !== undefined);
  }
}

/** A holder whose lock is younger than the start-up window may not listen yet. */
const starting = (h: Holder) => Date.now() - Date.parse(h.since) < holderStartMs;

async function openHeld(home: string, release: () => void, share: boolean): Promise<Db> {
  let db;
  try {
    const { openDataDir } = await import('./open-data-dir.ts');
    db = await openDataDir(path.join(home, 'pgdata'), release);
  } catch (e) {
    release();
    throw e;
  }
  if (!share) {
    fs.rmSync(socketFile(home), { force: true }); // a dead holder's: we hold the lock now
    return db;
  }
  try {
    const file = prepareSocketPath(home);
    if (file === null) return db;
    const { shareOverSocket } = await import('./socket-server.ts');
    const served = await shareOverSocket(db.pglite, db.gate, file);
    return {
      ...db,
      async close() {
        await served.stop();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
