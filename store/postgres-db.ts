import postgres from 'postgres';
import { TraderError, errorMessage } from '../core/errors.ts';
import type { Db, Queryable } from './db.ts';

type Sql = postgres.Sql | postgres.TransactionSql;

function wrap(sql: Sql): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return [...rows] as T[];
    },
    async exec(text: string) {
      await sql.unsafe(text);
    },
  };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/**
 * Opens any Postgres through postgres.js. `prepare: false` keeps it working through
 * Supabase's transaction pooler (PgBouncer in transaction mode has no prepared statements).
 */
export async function openPostgresDb(url: string): Promise<Db> {
  const location = redactUrl(url);
  let sql: postgres.Sql;
  try {
    sql = postgres(url, {
      prepare: false,
      max: 4,
      connect_timeout: 5,
      idle_timeout: 20,
      onnotice: () => {},
      // int8 as number on both backends (PGlite does the same); our int8 values are counts and ids.
      types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    });
    await sql.unsafe('select 1');
  } catch (e) {
    throw new TraderError(
      'TRANSIENT',
      `Cannot reach the database at ${location} (${errorMessage(e)}): check DATABASE_URL, or unset it to use the embedded database.`,
    );
  }
  const base = wrap(sql);
  return {
    kind: 'postgres',
    location,
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return (await sql.begin((tx) => fn(wrap(tx)))) as T;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
