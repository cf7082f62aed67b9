import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db.ts';
import { acquireLockFile } from './lock-file.ts';

export interface OpenOptions {
  env?: NodeJS.ProcessEnv;
  /** What the process is doing, shown to a second process that finds the lock taken. */
  command?: string;
}

/** The embedded database's home: `TRADER_HOME`, else `.trader/` under the working directory. */
export function traderHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.TRADER_HOME || '.trader');
}

/** Postgres when `DATABASE_URL` is set, otherwise embedded PGlite in `traderHome()`. */
export async function openDb(options: OpenOptions = {}): Promise<Db> {
  const env = options.env ?? process.env;
  // Each driver is imported only when used: PGlite's WASM alone takes a fifth of a second to load.
  if (env.DATABASE_URL) return (await import('./postgres-db.ts')).openPostgresDb(env.DATABASE_URL);
  const home = traderHome(env);
  fs.mkdirSync(home, { recursive: true });
  const release = acquireLockFile(path.join(home, 'trader.lock'), options.command ?? 'trader');
  try {
    const { openPgliteDb } = await import('./pglite-db.ts');
    return await openPgliteDb({ dataDir: path.join(home, 'pgdata'), onClose: release });
  } catch (e) {
    release();
    throw e;
  }
}
