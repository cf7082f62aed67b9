import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable } from './db.ts';

function wrap(pg: PGlite | Transaction): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await pg.query<T>(text, params as unknown[]);
      return result.rows;
    },
    async exec(text: string) {
      await pg.exec(text);
    },
  };
}

export interface PgliteOptions {
  /** A directory for the data; omit for an in-memory database. */
  dataDir?: string;
  /** A data directory dump to start from (tests use a migrated template). */
  loadDataDir?: Blob | File;
  /** Called after close, e.g. to release the data directory's lock file. */
  onClose?: () => void;
}

export async function openPgliteDb(options: PgliteOptions = {}): Promise<Db & { pglite: PGlite }> {
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const base = wrap(pglite);
  return {
    kind: 'pglite',
    location: options.dataDir ?? 'memory',
    pglite,
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return pglite.transaction((tx) => fn(wrap(tx)));
    },
    async close() {
      await pglite.close();
      options.onClose?.();
    },
  };
}
