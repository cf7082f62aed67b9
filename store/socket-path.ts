import fs from 'node:fs';
import path from 'node:path';
import { TraderError } from '../core/errors.ts';

/**
 * Where the process holding the embedded database serves it: `<TRADER_HOME>/socket/.s.PGSQL.5432`,
 * the name Postgres clients (postgres.js, psql -h <dir>) derive from a socket directory and port.
 */
export const socketPort = 5432;

export const socketDir = (home: string): string => path.join(home, 'socket');
export const socketFile = (home: string): string => path.join(socketDir(home), `.s.PGSQL.${socketPort}`);

/** Linux's limit for a Unix socket path (sun_path holds 108 bytes, one for the terminator). */
const maxSocketPath = 107;

/**
 * Makes the socket directory private (0700, ours, not a symlink) and removes a socket left by
 * a holder that died: only the lock file's holder calls this. Returns the socket's path, or
 * null when the path is too long for a Unix socket (the database is then not shared).
 */
/** The socket's path, or null when it is too long for a Unix socket (the database is then not shared). */
export function usableSocketFile(home: string): string | null {
  const file = socketFile(home);
  return Buffer.byteLength(file) > maxSocketPath ? null : file;
}

export function prepareSocketPath(home: string): string | null {
  const file = usableSocketFile(home);
  if (file === null) return null;
  const dir = socketDir(home);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) {
    throw new TraderError(
      'BAD_INPUT',
      `${dir} must be a directory owned by this user (the embedded database's socket lives there); remove it and try again.`,
    );
  }
  fs.chmodSync(dir, 0o700);
  fs.rmSync(file, { force: true });
  return file;
}
