import { TraderError, errorMessage } from '../../core/errors.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import type { Db } from '../../store/db.ts';

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The most of a query's text kept in its audit row and messages. */
const keptQueryChars = 2000;

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 3)}...` : text);

/** Postgres errors carry a `code`; anything else (a dropped connection) is not the query's fault. */
function isSqlError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * Runs one SQL statement a user typed (`trader db sql`) in one transaction. Read-only unless
 * `write`: the transaction is `read only`, which Postgres enforces for every statement and
 * function inside it. A write is recorded in the audit trail in the same transaction, so the
 * change and its record land together. Either way it runs as the connection's login, with
 * that login's privileges (the audit trail's triggers refuse updates and deletes for all).
 */
export async function runUserSql(db: Db, query: string, o: { write: boolean }): Promise<SqlResult> {
  if (query.trim() === '') throw new TraderError('BAD_INPUT', 'The query is empty; give one SQL statement.');
  let rows: Record<string, unknown>[];
  try {
    rows = await db.transaction(async (tx) => {
      if (!o.write) await tx.exec('set transaction read only');
      const result = await tx.query(query);
      if (o.write)
        await recordAudit(tx, {
          mode: 'SYSTEM',
          actor: 'USER',
          action_type: 'DB_SQL_WRITE',
          status: 'SUCCESS',
          details: { query: shorten(query, keptQueryChars), returned_rows: result.length },
        });
      return result;
    });
  } catch (e) {
    if (!isSqlError(e)) throw e;
    const reason = errorMessage(e);
    const hint = /read-only transaction/.test(reason) ? '; add --write to change data (the change is audited)' : '';
    throw new TraderError('BAD_INPUT', `The query failed: ${shorten(reason, 300)}${hint}.`);
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return { columns, rows };
}
