import fs from 'node:fs';
import os from 'node:os';
import { TraderError } from '../core/errors.ts';

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(fs.readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Takes the embedded data directory's lock file. PGlite corrupts a data directory that
 * two processes open, so a second process must get a clear message instead. A lock left
 * by a dead process on this host is taken over.
 */
export function acquireLockFile(path: string, command: string): () => void {
  const me: Holder = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (readHolder(path)?.pid === process.pid) fs.rmSync(path, { force: true });
      };
      process.once('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readHolder(path);
      const stale = holder === undefined || (holder.host === me.host && !isAlive(holder.pid));
      if (!stale) {
        throw new TraderError(
          'LOCKED',
          `The embedded database is in use by process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since}); wait for it to finish, or use DATABASE_URL for concurrent access.`,
        );
      }
      fs.rmSync(path, { force: true });
    }
  }
  throw new TraderError('LOCKED', `Could not take the lock file ${path}; another process keeps recreating it.`);
}
