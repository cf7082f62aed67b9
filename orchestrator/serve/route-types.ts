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
}

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  /** The path's captured segments, decoded. */
  params: string[];
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
  /** Matched against the whole path; capture groups become `params`. */
  path: RegExp;
  /** Needs a bearer token. */
  auth: boolean;
  handle(ctx: RequestContext, deps: ServerDeps): Promise<Reply>;
}

export const ok = (body: Record<string, unknown>, status = 200, headers?: Record<string, string>): Reply => ({
  status,
  body: { ok: true, ...body },
  headers,
});
