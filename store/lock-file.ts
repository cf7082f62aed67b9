import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { TraderError } from '../core/errors.ts';

export interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
  /** The Unix socket on which the holder serves the database to other commands, if it does. */
  socket?: string;
}

/** A lock file that cannot be read is treated as held until it is this old (a writer may be mid-way). */
const unreadableGraceMs = 10_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Read = { state: 'missing' } | { state: 'unreadable' } | { state: 'held'; holder: Holder };

function readHolder(path: string): Read {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw e;
  }
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string'
      ? { state: 'held', holder: h as Holder }
      : { state: 'unreadable' };
  } catch {
    return { state: 'unreadable' };
  }
}

const sameRead = (a: Read, b: Read) =>
  a.state === b.state &&
  (a.state !== 'held' || (b.state === 'held' && a.holder.pid === b.holder.pid && a.holder.since === b.holder.since));

function ageMs(path: string): number {
  try {
    return Date.now() - fs.statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** Creates the lock file with its full content in one step: hard-linking a finished temp file fails if the lock exists. */
function tryCreate(path: string, me: Holder): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, JSON.stringify(me));
  try {
    fs.linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Moves a stale lock aside. Renaming is atomic, so of two processes that both judged the
 * lock stale only one moves it; the moved file is checked to be the stale one we read.
 */
function removeStale(path: string, stale: Read): void {
  const tomb = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(path, tomb);
  } catch {
    return; // someone else moved it first
  }
  if (!sameRead(readHolder(tomb), stale)) {
    // We moved a lock taken in the meantime by a live process: put it back.
    try {
      fs.linkSync(tomb, path);
    } catch {
      /* the path was taken again; that holder owns it */
    }
  }
  fs.rmSync(tomb, { force: true });
}

/**
 * Takes the embedded data directory's lock file. PGlite corrupts a data directory that
 * two processes open, so a second process must get a clear message instead. A lock left
 * by a dead process on this host is taken over.
 */
export function acquireLockFile(path: string, command: string, socket?: string): () => void {
  const me: Holder = {
    pid: process.pid,
    host: os.hostname(),
    command,
    since: new Date().toISOString(),
    ...(socket ? { socket } : {}),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, me)) {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        if (sameRead(readHolder(path), { state: 'held', holder: me })) fs.rmSync(path, { force: true });
      };
      process.once('exit', release);
      return release;
    }
    const read = readHolder(path);
    if (read.state === 'missing') continue; // released just now: try again
    if (read.state === 'unreadable' && ageMs(path) < unreadableGraceMs) {
      throw new TraderError(
        'LOCKED',
        `The embedded database's lock file ${path} is being written by another process; try again in a few seconds.`,
      );
    }
    const holder = read.state === 'held' ? read.holder : undefined;
    const stale = holder === undefined || (holder.host === me.host && !isAlive(holder.pid));
    if (!stale) {
      throw new TraderError(
        'LOCKED',
        `The embedded database is in use by process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since}); wait for it to finish, or use DATABASE_URL for concurrent access (of the embedded database's holders only \`trader serve\`, \`trader schedule run\` and \`trader db shell\` share it).`,
        holder,
      );
    }
    removeStale(path, read);
  }
  throw new TraderError('LOCKED', `Could not take the lock file ${path}; another process keeps taking it. Try again.`);
}
