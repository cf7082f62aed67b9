import { backupTables } from '../../store/backup/table-rows.ts';
import type { Queryable } from '../../store/db.ts';

/** Every backup table's rows as to_jsonb text in a stable order: what "equal row for row" compares. */
export async function tableContents(db: Queryable): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await backupTables(db)) {
    const rows = await db.query<{ j: string }>(`select to_jsonb(t)::text as j from ${t.name} t order by 1`);
    out[t.name] = rows.map((r) => r.j);
  }
  return out;
}
