import { cursorRows } from '../cursor.ts';
import type { Queryable } from '../db.ts';

/**
 * What a backup holds and how each table's rows travel, the same on both backends: every
 * base table of the schemas trader owns (public, trading_test, trading_live; the migration
 * ledger is the target's own, written by migrating it), each row as its `to_jsonb` text.
 * JSON keeps numeric's every digit, timestamps with their offset and bytea as hex; the
 * target reads it back with jsonb_populate_recordset into the same types, so a backup of
 * PGlite restores into Postgres and back row for row.
 */

export const BACKUP_SCHEMAS = ['public', 'trading_test', 'trading_live'] as const;

export interface BackupTable {
  /** schema.table, quoted where needed. */
  name: string;
  /** The columns a restore writes: every column but stored generated ones. */
  columns: string[];
  /** A column `generated always as identity`: the restore must override the system value. */
  identityAlways: boolean;
  /** Columns drawn from a sequence (identity or serial): a restore moves each sequence past their largest value. */
  sequenced: string[];
}

const ident = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);

export async function backupTables(q: Queryable): Promise<BackupTable[]> {
  const rows = await q.query<{
    table_schema: string;
    table_name: string;
    columns: string[];
    identity_always: boolean;
    sequenced: string[] | null;
  }>(
    `select c.table_schema, c.table_name,
            array_agg(c.column_name::text order by c.ordinal_position) filter (where c.is_generated = 'NEVER') as columns,
            bool_or(c.identity_generation = 'ALWAYS') as identity_always,
            array_agg(c.column_name::text order by c.ordinal_position)
              filter (where c.is_identity = 'YES' or c.column_default like 'nextval(%') as sequenced
     from information_schema.columns c
     join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where t.table_type = 'BASE TABLE' and c.table_schema = any($1::text[])
     group by c.table_schema, c.table_name
     order by c.table_schema, c.table_name`,
    [[...BACKUP_SCHEMAS]],
  );
  return rows.map((r) => ({
    name: `${ident(r.table_schema)}.${ident(r.table_name)}`,
    columns: r.columns.map(ident),
    identityAlways: r.identity_always,
    sequenced: (r.sequenced ?? []).map(ident),
  }));
}

/** Row counts of every backup table: the manifest's, and what a restore is checked against. */
export async function tableCounts(q: Queryable, tables: readonly BackupTable[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const [row] = await q.query<{ n: number }>(`select count(*)::int8 as n from ${t.name}`);
    counts[t.name] = Number(row!.n);
  }
  return counts;
}

/** Streams one table's rows as JSON text through a cursor of the caller's transaction (which holds the snapshot every table is read in). */
export async function* tableRows(tx: Queryable, table: BackupTable): AsyncGenerator<string[]> {
  for await (const rows of cursorRows<{ j: string }>(tx, `select to_jsonb(t)::text as j from ${table.name} t`))
    yield rows.map((r) => r.j);
}

/** Inserts rows (their JSON texts) into a table of the same shape, in one statement. */
export async function insertRows(tx: Queryable, table: BackupTable, rows: readonly string[]): Promise<void> {
  if (rows.length === 0) return;
  const cols = table.columns.join(', ');
  await tx.query(
    `insert into ${table.name} (${cols}) ${table.identityAlways ? 'overriding system value ' : ''}
     select ${cols} from jsonb_populate_recordset(null::${table.name}, $1::text::jsonb)`,
    [`[${rows.join(',')}]`],
  );
}

/** Moves each sequence of the table past the largest value restored, so new rows do not collide. */
export async function resetSequences(tx: Queryable, table: BackupTable): Promise<void> {
  for (const col of table.sequenced)
    await tx.query(
      `select setval(pg_get_serial_sequence($1, $2), coalesce((select max(${col}) from ${table.name}), 0) + 1, false)`,
      [table.name, col.replace(/^"|"$/g, '')],
    );
}
