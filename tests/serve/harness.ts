import type { Db } from '../../store/db.ts';
import { startServer, type ServeOptions, type TraderServer } from '../../orchestrator/serve/server.ts';
import { createToken } from '../../orchestrator/serve/tokens-repo.ts';

/** `trader serve` in-process on 127.0.0.1 and a free port, with a token named `test`, and real HTTP requests to it. */
export interface Harness {
  server: TraderServer;
  token: string;
  /** fetch() against the server; adds the bearer token unless `auth` is false or a header is given. */
  call(
    path: string,
    init?: RequestInit & { auth?: boolean | string },
  ): Promise<{ status: number; headers: Headers; body: any }>;
}

export async function serveOn(db: Db, options: Partial<ServeOptions> = {}): Promise<Harness> {
  const { token } = await createToken(db, `test-${Math.random().toString(36).slice(2, 8)}`);
  const server = await startServer(db, { host: '127.0.0.1', port: 0, ...options });
  return {
    server,
    token,
    async call(path, init = {}) {
      const { auth = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth !== false && !headers.has('authorization'))
        headers.set('authorization', `Bearer ${typeof auth === 'string' ? auth : token}`);
      if (typeof rest.body === 'string' && !headers.has('content-type'))
        headers.set('content-type', 'application/json');
      const res = await fetch(`${server.url}${path}`, { ...rest, headers });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
  };
}

/** The server's environment on `db`: with its Postgres URL, which the job queue's client needs (as `trader serve` has it). */
export const serveEnv = (db: { url?: string }): NodeJS.ProcessEnv => ({
  ...process.env,
  ...(db.url ? { DATABASE_URL: db.url } : {}),
});

/** The demo's decision time, and the symbols that break out then. */
export const demoRun = { symbols: ['BTC/USDT', 'ETH/USDT'], as_of: '2024-03-05T02:00:00Z', offline: true };

/** An error document: `{ ok: false, error: { code, message, ... } }`, never a stack. */
export function expectError(r: { status: number; body: any }, status: number, code: string, message?: RegExp): void {
  if (r.status !== status || r.body?.ok !== false || r.body?.error?.code !== code)
    throw new Error(`expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  if (message && !message.test(r.body.error.message))
    throw new Error(`message ${JSON.stringify(r.body.error.message)} does not match ${message}`);
  if (/\n\s+at |node:internal|TraderError/.test(JSON.stringify(r.body)))
    throw new Error(`a stack trace leaked: ${JSON.stringify(r.body)}`);
}

/**
 * A database that holds every transaction after a run row is written until `release()`:
 * a run that has taken its lock and then waits, for tests that need one in progress.
 */
export function gatedDb(db: Db): { db: Db; opened: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let markOpened!: () => void;
  const opened = new Promise<void>((r) => (markOpened = r));
  let armed = false;
  const gated: Db = {
    ...db,
    async query(text, params) {
      const rows = await db.query(text, params);
      if (/^\s*insert\s+into\s+pipeline_runs\b/i.test(text)) {
        armed = true;
        markOpened();
      }
      return rows as never;
    },
    exec: (sql) => db.exec(sql),
    async transaction(fn) {
      if (armed) await gate;
      return db.transaction(fn);
    },
    close: () => db.close(),
  };
  return { db: gated, opened, release };
}
