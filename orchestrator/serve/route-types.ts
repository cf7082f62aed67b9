import type { IncomingMessage } from 'node:http';
import type { Db } from '../../store/db.ts';
import type { TradingScope } from '../../trading/scope.ts';
import type { Client } from './auth.ts';
import type { AuthFailureLimiter } from './auth-limiter.ts';
import type { RunTracker } from './run-tracker.ts';

/** What every handler of `trader serve` is given: the server's shared parts and the request. */
export interface ServerDeps {
  db: Db;
  scope: TradingScope;
  /** Passed to runs (system mode, modules root, exchange URLs). */
  env: NodeJS.ProcessEnv;
  bodyLimit: number;
  /** "Now": the default as-of of a run and the time an approval is priced at. */
  clock: () => Date;
  runs: RunTracker;
  /** Counts, limits and audits failed authentication per client address. */
  authLimiter: AuthFailureLimiter;
  /** True once shutdown has begun: no new run may start. */
  closing: () => boolean;
  /** Aborted when shutdown begins: long-lived answers (the dashboard's event stream) end. */
  stopping: AbortSignal;
  /** Served over TLS: the session cookie is Secure. */
  tls: boolean;
  /** How long a dashboard session lasts after its login. */
  sessionHours: number;
}

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  /** The path's named segments (`:id`), decoded. */
  params: Record<string, string>;
  /** The authenticated client; null on the open routes (/health). */
  client: Client | null;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST';
  /** A hono path pattern, matched against the whole path; `:name` segments become `params`. */
  path: string;
  /** Needs a bearer token. */
  auth: boolean;
  handle(ctx: RequestContext, deps: ServerDeps): Promise<Reply>;
}

export const ok = (body: Record<string, unknown>, status = 200, headers?: Record<string, string>): Reply => ({
  status,
  body: { ok: true, ...body },
  headers,
});
