import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import type { Db } from '../../store/db.ts';
import { systemModeFromEnv, tradingScope } from '../../trading/scope.ts';
import { auditRefusals } from './auth.ts';
import { AuthFailureLimiter, defaultAuthLimits, type AuthLimits } from './auth-limiter.ts';
import { defaultBodyLimit } from './body.ts';
import { answerClientError } from './client-errors.ts';
import { createApp } from './app.ts';
import type { ServerDeps } from './route-types.ts';
import { RunTracker } from './run-tracker.ts';
import { defaultSessionHours } from './sessions-repo.ts';
import type { TlsFiles } from './tls-files.ts';

export interface ServeOptions {
  host: string;
  /** 0 picks a free port (see `TraderServer.port`). */
  port: number;
  env?: NodeJS.ProcessEnv;
  bodyLimit?: number;
  clock?: () => Date;
  /** After the runs are done, how long open connections may take to finish their answers before they are cut. */
  closeGraceMs?: number;
  /** Serve HTTPS with this certificate and key (for callers on other machines, such as a hosted n8n). */
  tls?: TlsFiles;
  /** Failed authentications per client address before 429 (defaultAuthLimits). */
  authLimits?: AuthLimits;
  /** How long a dashboard session lasts after its login (defaultSessionHours). */
  sessionHours?: number;
}

export interface TraderServer {
  host: string;
  port: number;
  /** e.g. http://127.0.0.1:8787, or https://... with `tls` */
  url: string;
  runs: RunTracker;
  /**
   * Graceful shutdown: stop accepting connections at once (requests on open ones get
   * 503), let every run this server started finish, let their answers go out, audit the
   * open windows of refused requests, then resolve. The caller closes the database afterwards. Calling it again returns the
   * same promise.
   */
  close(): Promise<void>;
}

function listen(server: http.Server | https.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (e: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (e.code === 'EADDRINUSE')
        reject(
          new TraderError(
            'BAD_INPUT',
            `Port ${port} on ${host} is already in use; stop whatever listens there or pick another --port.`,
          ),
        );
      else if (e.code === 'EACCES')
        reject(new TraderError('BAD_INPUT', `Not allowed to listen on ${where}; pick a port above 1023.`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
        reject(
          new TraderError(
            'BAD_INPUT',
            `${host} is not an address of this machine; use 127.0.0.1 (the default) or one of its own addresses.`,
          ),
        );
      else reject(e);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** `trader serve`'s HTTP server on `db` (held for the server's lifetime by the caller). */
export async function startServer(db: Db, options: ServeOptions): Promise<TraderServer> {
  const env = options.env ?? process.env;
  const runs = new RunTracker();
  let closing: Promise<void> | undefined;
  const stopping = new AbortController();
  const clock = options.clock ?? (() => new Date());
  const deps: ServerDeps = {
    db,
    scope: tradingScope(systemModeFromEnv(env)),
    env,
    bodyLimit: options.bodyLimit ?? defaultBodyLimit,
    clock,
    runs,
    authLimiter: new AuthFailureLimiter(options.authLimits ?? defaultAuthLimits, clock, (summary) =>
      auditRefusals(db, summary),
    ),
    closing: () => closing !== undefined,
    stopping: stopping.signal,
    tls: options.tls !== undefined,
    sessionHours: options.sessionHours ?? defaultSessionHours,
  };
  // Our own Node server (TLS, parser errors, graceful close) with hono answering each request;
  // the global Request/Response stay Node's own, and request bodies are read (and drained) by body.ts.
  const listener = getRequestListener(createApp(deps).fetch, {
    overrideGlobalObjects: false,
    autoCleanupIncoming: false,
  });
  const handle: http.RequestListener = (req, res) => void listener(req, res);
  const server = options.tls ? https.createServer(options.tls, handle) : http.createServer(handle);
  server.keepAliveTimeout = 5_000;
  server.on('clientError', answerClientError);
  await listen(server, options.host, options.port);
  const port = (server.address() as AddressInfo).port;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  const shutdown = async (): Promise<void> => {
    stopping.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await runs.drain();
    const cut = setTimeout(() => {
      logger.warn('closing connections that did not finish in time');
      server.closeAllConnections();
    }, options.closeGraceMs ?? 5_000);
    await closed;
    clearTimeout(cut);
    await deps.authLimiter.close();
  };

  return {
    host: options.host,
    port,
    url: `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    runs,
    close: () => (closing ??= shutdown()),
  };
}
