import postgres from 'postgres';
import { TraderError, errorMessage } from '../core/errors.ts';
import type { BackendKind, Db, Queryable } from './db.ts';

type Sql = postgres.Sql | postgres.TransactionSql;

/** postgres.js reads `simple` at run time; its types leave it out. */
const extended = { simple: false } as unknown as postgres.UnsafeQueryOptions;

function wrap(sql: Sql): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      // Always the extended protocol, as PGlite's query(): one statement, never a script that
      // could end the caller's transaction half-way (`...; commit; ...`).
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], extended);
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
  return connectPostgres(url, {
    kind: 'postgres',
    location,
    unreachable: (reason) =>
      new TraderError(
        'TRANSIENT',
        `Cannot reach the database at ${location} (${reason}): check DATABASE_URL, or unset it to use the embedded database.`,
      ),
  });
}

export interface ConnectOptions {
  kind: BackendKind;
  location: string;
  /** The error to throw when the first query fails, given the driver's reason. */
  unreachable: (reason: string) => TraderError;
  /** Extra postgres.js options (a Unix socket's host and port, a single connection). */
  driver?: postgres.Options<Record<string, postgres.PostgresType>>;
}

/** A Db over postgres.js, for a URL or for connection options (`url` undefined). */
export async function connectPostgres(url: string | undefined, o: ConnectOptions): Promise<Db> {
  let sql: postgres.Sql | undefined;
  const options = {
    prepare: false,
    max: 4,
    connect_timeout: 5,
    idle_timeout: 20,
    onnotice: () => {},
    // int8 as number on both backends (PGlite does the same); our int8 values are counts and ids.
    types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    ...o.driver,
  };
  try {
    sql = url === undefined ? postgres(options) : postgres(url, options);
    await sql.unsafe('select 1');
  } catch (e) {
    await sql?.end({ timeout: 0 }).catch(() => {});
    throw o.unreachable(errorMessage(e));
  }
  const conn = sql;
  const base = wrap(conn);
  return {
    kind: o.kind,
    location: o.location,
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return (await conn.begin((tx) => fn(wrap(tx)))) as T;
    },
    async close() {
      await conn.end({ timeout: 5 });
    },
  };
}
