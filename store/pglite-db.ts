import v8 from 'node:v8';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { copyStatement } from './binary-copy.ts';
import type { Db, Queryable } from './db.ts';
import { SessionGate } from './session-gate.ts';

function wrap(pg: PGlite | Transaction): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await pg.query<T>(text, params as unknown[]);
      return result.rows;
    },
    async exec(text: string) {
      await pg.exec(text);
    },
    async copyFrom(table, columns, rows) {
      await pg.query(copyStatement(table, columns, "'/dev/blob'"), [], { blob: new Blob([rows]) });
      return true;
    },
  };
}

export interface PgliteOptions {
  /** A directory for the data; omit for an in-memory database. */
  dataDir?: string;
  /** A data directory dump to start from (tests use a migrated template). */
  loadDataDir?: Blob | File;
  /** Called after close, e.g. to release the data directory's lock file. */
  onClose?: () => void | Promise<void>;
}

export type PgliteDb = Db & { pglite: PGlite; gate: SessionGate };

/** Session settings a socket client may have changed are reset before anyone else runs (see SessionGate). */
const resetSession = 'reset all; reset role; reset session authorization; deallocate all';

/**
 * PGlite's start runs a great deal of wasm once (Postgres' own start-up). V8's default
 * tiering recompiles that code optimised in the background, which a short command never
 * gets back: measured, opening a database took about 1.7 s of CPU, 1.3 s with a budget
 * this high. Code that stays hot in a long process (serve, schedule) still tiers up.
 * Set before the first PGlite compiles its module; process-wide, it touches only wasm.
 */
v8.setFlagsFromString('--wasm-tiering-budget=100000000');

/**
 * Postgres' default 128 MB of shared buffers are set up at every start, which is most of
 * what opening an embedded database costs: measured, 0.80 s of CPU per open with 128 MB,
 * 0.43 s with 32 MB, 0.34 s with 16 MB. The data files are still cached by the operating
 * system below, and the embedded database holds a user's candles and records, not a
 * warehouse, so 16 MB leaves its queries as fast while every command starts sooner.
 */
const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

export async function openPgliteDb(options: PgliteOptions = {}): Promise<PgliteDb> {
  const pglite = await PGlite.create({
    startParams,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  // Every statement of this process passes the same gate as the socket's clients (if it shares
  // the database), each query or transaction as a party of its own.
  const gate = new SessionGate(
    () => pglite.exec(resetSession).then(() => undefined),
    (party) => party.startsWith('client:'),
  );
  let next = 0;
  const gated = <T>(fn: () => Promise<T>) => gate.run(`holder:${next++}`, fn);
  const base = wrap(pglite);
  return {
    kind: 'pglite',
    location: options.dataDir ?? 'memory',
    pglite,
    gate,
    query: (text, params) => gated(() => base.query(text, params)),
    exec: (text) => gated(() => base.exec(text)),
    copyFrom: (table, columns, rows) => gated(() => base.copyFrom(table, columns, rows)),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return gated(() => pglite.transaction((tx) => fn(wrap(tx))));
    },
    async listen(channel: string, onNotify: (payload: string) => void) {
      const unlisten = await gated(() => pglite.listen(channel, onNotify));
      return () => gated(() => unlisten());
    },
    async close() {
      await pglite.close();
      await options.onClose?.();
    },
  };
}
