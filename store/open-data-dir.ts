import fs from 'node:fs';
import { TraderError } from '../core/errors.ts';
import { openPgliteDb, type PgliteDb } from './pglite-db.ts';

/** What PGlite threw, as text: it sometimes throws plain objects or WASM aborts, not Errors. */
function reason(e: unknown): string {
  const text = e instanceof Error ? e.message : typeof e === 'object' && e !== null ? JSON.stringify(e) : String(e);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/**
 * Opens the embedded data directory, turning what PGlite throws for a path that is not a
 * directory, or a directory it cannot start from, into one sentence: BAD_INPUT (exit 2) for
 * a file in its place, INTEGRITY (exit 5) for a damaged directory.
 */
export async function openDataDir(dataDir: string, onClose: () => void): Promise<PgliteDb> {
  const st = fs.statSync(dataDir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) {
    throw new TraderError(
      'BAD_INPUT',
      `${dataDir} is not a directory, so it cannot hold the embedded database; move it away, or set TRADER_HOME to another directory.`,
    );
  }
  try {
    return await openPgliteDb({ dataDir, onClose });
  } catch (e) {
    throw new TraderError(
      'INTEGRITY',
      `The embedded database in ${dataDir} is damaged and cannot be opened (${reason(e)}); restore the directory from a backup, or move it away to start an empty database.`,
    );
  }
}
