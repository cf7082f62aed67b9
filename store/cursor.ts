import type { Queryable } from './db.ts';

/**
 * Streams a query's rows `batch` at a time through a server-side cursor of the caller's
 * transaction, so a million rows never sit in memory at once (backups, exports). The
 * cursor lives as long as the transaction, which also gives every batch one snapshot.
 */
export async function* cursorRows<T = Record<string, unknown>>(
  tx: Queryable,
  sql: string,
  params: readonly unknown[] = [],
  batch = 2000,
): AsyncGenerator<T[]> {
  await tx.query(`declare trader_rows no scroll cursor for ${sql}`, params);
  try {
    for (;;) {
      const rows = await tx.query<T>(`fetch ${batch} from trader_rows`);
      if (rows.length === 0) return;
      yield rows;
    }
  } finally {
    await tx.exec('close trader_rows');
  }
}
