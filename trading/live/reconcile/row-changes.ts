import { z } from 'zod';
import { queryRows, type Queryable } from '../../../store/db.ts';
import { auditUpdate, live } from './reconcile-repo.ts';

/**
 * Field-level audit of what reconciliation changed: the rows it may touch are read before
 * and after, and every field whose value moved is one RECONCILE_UPDATE row (table, id,
 * field, old value, new value).
 */

const watched = {
  positions: {
    key: 'position_id',
    fields: ['open_qty', 'qty', 'status', 'realized_pnl', 'fees_paid', 'closed_at', 'close_reason'],
  },
  wallets: { key: 'asset', fields: ['balance'] },
  orders: { key: 'client_order_id', fields: ['state', 'filled_qty', 'avg_price', 'exchange_order_id', 'position_id'] },
} as const;
export type WatchedTable = keyof typeof watched;

export type RowImage = Map<string, Record<string, unknown>>;

/** The watched fields of the rows `ids` of `table`, by id (a missing row is absent). */
export async function rowImage(q: Queryable, table: WatchedTable, ids: string[]): Promise<RowImage> {
  const { key, fields } = watched[table];
  const rows = await queryRows(
    q,
    z.record(z.string(), z.unknown()),
    `select ${key}::text as id, ${fields.join(', ')} from ${live.table(table)} where ${key}::text in (select jsonb_array_elements_text($1::text::jsonb))`,
    [JSON.stringify(ids)],
  );
  return new Map(rows.map((r) => [String(r.id), r]));
}

/** Comparable text of a value: numerics come back as strings on one backend and numbers on the other. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v ?? null;
}

/** Audits every watched field that differs between the two images of `table`. */
export async function auditRowChanges(
  q: Queryable,
  cycleId: string,
  table: WatchedTable,
  before: RowImage,
  after: RowImage,
): Promise<number> {
  let changes = 0;
  for (const [id, row] of after) {
    const old = before.get(id);
    for (const field of watched[table].fields) {
      const o = plain(old?.[field]);
      const n = plain(row[field]);
      if (old && o === n) continue;
      if (!old && n === null) continue;
      await auditUpdate(q, cycleId, { table: live.table(table), id, field, old: old ? o : null, new: n });
      changes++;
    }
  }
  return changes;
}
