import postgres from 'postgres';
import { TraderError, errorMessage } from '../core/errors.ts';
import { copyStatement } from './binary-copy.ts';
import type { BackendKind, Db, Queryable } from './db.ts';

type Sql = postgres.Sql | postgres.TransactionSql;

/** postgres.js reads `simple` at run time; its types leave it out. */
const extended = { simple: false } as unknown as postgres.UnsafeQueryOptions;

/** `copies`: false on a client of the embedded database's socket, which cannot COPY (see Queryable). */
function wrap(sql: Sql, copies: boolean): Queryable {
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
    async copyFrom(table, columns, rows) {
      if (!copies) return false;
      // In a transaction of its own when the caller has none: the check below needs one connection.
      if ('begin' in sql) await sql.begin((tx) => copyIn(tx, table, columns, rows));
      else await copyIn(sql, table, columns, rows);
      return true;
    },
  };
}

/**
 * COPY through postgres.js's writable stream. Version 3.4 loses an error the server reports
 * after the last row was sent: the stream never finishes and the error goes to the query's
 * reject, already spent on handing out the stream. So the reject is watched (an internal of
 * 3.4; tests/market/candles-repo.test.ts fails if that changes), and a query queued behind
 * the COPY on the same connection tells when it settled: it succeeds only if the COPY did
 * (a failed COPY aborts the transaction), and a lost connection fails it too.
 */
async function copyIn(tx: postgres.TransactionSql, table: string, columns: readonly string[], rows: Uint8Array) {
  const query = tx.unsafe(copyStatement(table, columns, 'stdin')) as unknown as Promise<never> & {
    reject: (e: unknown) => void;
    writable: () => Promise<import('node:stream').Writable>;
  };
  let failure: unknown = null;
  const reject = query.reject;
  query.reject = (e) => ((failure ??= e), reject(e));
  const stream = await query.writable();
  const finished = new Promise<void>((resolve) => {
    stream.on('error', (e) => ((failure ??= e), resolve()));
    stream.on('finish', resolve);
  });
  // The rows flushed, then end() runs the stream's final (CopyDone) on the next tick; only after
  // it does postgres.js accept another query on the connection.
  await new Promise<void>((resolve) =>
    stream.write(Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength), () => resolve()),
  );
  stream.end();
  await new Promise((resolve) => setImmediate(resolve));
  const after = await tx.unsafe('select 1').then(
    () => null,
    (e: unknown) => e,
  );
  if (after === null && failure === null) return finished;
  throw failure ?? after;
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

const unreachableDatabaseUrl = (location: string, reason: string) =>
  `Cannot reach the database at ${location} (${reason}): check DATABASE_URL, or unset it to use the embedded database.`;

/**
 * Opens any Postgres through postgres.js. `prepare: false` keeps it working through
 * Supabase's transaction pooler (PgBouncer in transaction mode has no prepared statements).
 * `unreachable` words the error when it does not answer (a URL of DATABASE_URL by default).
 */
export async function openPostgresDb(url: string, unreachable = unreachableDatabaseUrl): Promise<Db> {
  const location = redactUrl(url);
  return connectPostgres(url, {
    kind: 'postgres',
    location,
    unreachable: (reason) => new TraderError('TRANSIENT', unreachable(location, reason)),
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
  const copies = o.kind === 'postgres';
  const base = wrap(conn, copies);
  return {
    kind: o.kind,
    location: o.location,
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return (await conn.begin((tx) => fn(wrap(tx, copies)))) as T;
    },
    // Through the embedded database's socket a notification reaches whoever is talking, not the listener.
    ...(o.kind === 'postgres'
      ? {
          async listen(channel: string, onNotify: (payload: string) => void) {
            const { unlisten } = await conn.listen(channel, onNotify);
            return unlisten;
          },
        }
      : {}),
    async close() {
      await conn.end({ timeout: 5 });
    },
  };
}
