import type { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { schemaProblems } from '../core/schema-problems.ts';

/**
 * The one database interface all code uses. Two implementations: postgres.js
 * (any Postgres, Supabase included) and embedded PGlite. Both return int8 as a JS
 * number, timestamptz as Date and jsonb as parsed values; pass jsonb parameters as
 * objects, never as pre-stringified JSON.
 */
export interface Queryable {
  /** One statement with `$1..$n` parameters. */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * `COPY table (columns)` from rows in binary COPY format (store/binary-copy.ts), for bulk
   * inserts. False, having written nothing, where the connection cannot COPY: a client of the
   * embedded database's socket (pglite-socket does not speak COPY), which then inserts instead.
   */
  copyFrom(table: string, columns: readonly string[], rows: Uint8Array<ArrayBuffer>): Promise<boolean>;
}

export type BackendKind = 'pglite' | 'postgres';

export interface Db extends Queryable {
  readonly kind: BackendKind;
  /** Where the data lives, safe to print (no password). */
  readonly location: string;
  /** Runs `fn` in one transaction: everything or nothing. Use only `tx` inside. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on `channel`: `onNotify` gets each payload NOTIFY sent, once the sender
   * committed; resolves to the unlisten. Absent where notifications cannot arrive (a
   * client of the embedded database's socket); there, poll. On the embedded database
   * its holder hears only its own commits, so a listener there polls as well.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Runs a query and validates every row with `schema`, so callers get typed rows. */
export async function queryRows<S extends z.ZodType>(
  q: Queryable,
  schema: S,
  text: string,
  params?: readonly unknown[],
): Promise<z.infer<S>[]> {
  const rows = await q.query(text, params);
  return rows.map((row) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success)
      throw new TraderError(
        'INTEGRITY',
        `${schemaProblems('A stored row does not have the expected shape', parsed.error)}.`,
      );
    return parsed.data as z.infer<S>;
  });
}
