import { TraderError } from '../../core/errors.ts';
import type { Db } from '../db.ts';
import { auditHead, loadTables, type LoadExpectation, type TriggerSwitch } from './load-tables.ts';
import { backupTables, insertRows, tableCounts, tableRows } from './table-rows.ts';

/**
 * Copies every backup table of one database straight into another of the same schema, with
 * no file in between (`trader db move`): the source is read in one repeatable-read, read-only
 * snapshot, each table streamed through a cursor a batch at a time into the target's load
 * transaction (load-tables.ts), which compares the target's row counts and audit head with
 * the snapshot's before it commits. The rows travel as their to_jsonb text, as in a backup,
 * so the copy is exact across the embedded database and a Postgres server.
 */

export interface CopyDone extends LoadExpectation {
  triggers: TriggerSwitch;
}

export async function copyDatabase(source: Db, target: Db): Promise<CopyDone> {
  return source.transaction(async (snapshot) => {
    await snapshot.query('set transaction isolation level repeatable read, read only');
    const tables = await backupTables(snapshot);
    const expected = { tables: await tableCounts(snapshot, tables), audit_head: await auditHead(snapshot) };
    const triggers = await loadTables(
      target,
      expected,
      async (tx, into) => {
        for (const t of tables) {
          const table = into.get(t.name);
          if (!table)
            throw new TraderError(
              'CONFIG_INVALID',
              `The target has no table ${t.name}; its schema is not the source's. Nothing was moved.`,
            );
          for await (const rows of tableRows(snapshot, t)) await insertRows(tx, table, rows);
        }
      },
      { source: 'the source database', outcome: 'moved' },
    );
    return { ...expected, triggers };
  });
}
