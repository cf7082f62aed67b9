import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Recomputes an audit row's chain hash outside the database. The trigger hashes
 * `audit_row_text(row)` in SQL; this builds the same text here from the stored columns
 * and hashes it with node:crypto, so a tamperer who replaces the SQL function (or the
 * trigger) cannot make a forged row verify. Only the renderings of the time and the
 * jsonb come from Postgres (to_char and details::text), because their exact text
 * (microsecond padding, jsonb key order and spacing) is what the trigger hashed.
 */

/** The first row's prev_hash: the chain starts from 64 zeros. */
export const genesisHash = '0'.repeat(64);

/** The select list that reads a row in the form auditRowHash needs; keep in step with audit_row_text(). */
export const hashedColumns = `seq, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts_text,
  mode, actor, action_type, status, risk_profile, details::text as details_text, entity_type, entity_id, prev_hash, db_role, hash`;

export const HashedRow = z.object({
  seq: z.number().int(),
  ts_text: z.string(),
  mode: z.string(),
  actor: z.string(),
  action_type: z.string(),
  status: z.string(),
  risk_profile: z.string().nullable(),
  details_text: z.string(),
  entity_type: z.string().nullable(),
  entity_id: z.string().nullable(),
  prev_hash: z.string(),
  /** The database role that appended the row; null on rows written before it was recorded. */
  db_role: z.string().nullable(),
  hash: z.string(),
});
export type HashedRow = z.infer<typeof HashedRow>;

/**
 * The text the hash covers: the same fields, order, placeholders and separator (chr(31)) as
 * audit_row_text(), whose concat_ws leaves out a null db_role (rows from before it existed).
 */
export function auditRowText(row: HashedRow): string {
  return [
    String(row.seq),
    row.ts_text,
    row.mode,
    row.actor,
    row.action_type,
    row.status,
    row.risk_profile ?? '-',
    row.details_text,
    row.entity_type ?? '-',
    row.entity_id ?? '-',
    row.prev_hash,
    ...(row.db_role === null ? [] : [row.db_role]),
  ].join('\x1f');
}

/** sha256 hex of the row's text as UTF-8, as the trigger computes it. */
export function auditRowHash(row: HashedRow): string {
  return createHash('sha256').update(auditRowText(row), 'utf8').digest('hex');
}
