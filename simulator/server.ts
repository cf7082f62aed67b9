/**
 * A tiny HTTP server on 127.0.0.1 driven by a table of routes, with a fault controller
 * and a request log. Exchange-specific pieces (routes, error bodies) are plugged in.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultController, type FaultKind, type TerminalFault } from './faults.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  method: HttpMethod;
  path: string;
  /** query string and (for form bodies) body parameters */
  query: Record<string, string>;
  /** the query string as sent (no '?'), for signature checks */
  rawQuery: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** the stand-in's true clock (ms) */
  now: number;
  /** the clock the server reports (now + clock skew) */
  serverTime: number;
  /** set when a shortPage fault applies: keep this fraction of the rows */
  shortPage?: number;
}

export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: HttpMethod;
  path: string;
  /** true if the route honours shortPage faults */
  paged?: boolean;
  handle(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

export interface RequestLog {
  method: string;
  path: string;
  query: Record<string, string>;
  /** HTTP status sent; null if none (hang, reset, or still pending) */
  status: number | null;
  /** wall-clock ms (Date.now()) when the request arrived */
  at: number;
  /** the stand-in clock (now()) when the request arrived */
  serverNow: number;
  faults: FaultKind[];
}

/** Exchange-flavoured bodies for faults. */
export interface FaultBodies {
  rateLimit(status: 429 | 418, retryAfterSeconds: number, serverTime: number): unknown;
  notFound(method: string, path: string): unknown;
}

export interface StandInServer {
  url: string;
  faults: FaultController;
  requests: RequestLog[];
  close(): Promise<void>;
}

export interface StandInServerOptions {
  routes: Route[];
  now: () => number;
  faults?: FaultController;
  bodies: FaultBodies;
  extraHeaders?: (ctx: RouteContext) => Record<string, string>;
}

const GATEWAY_BODY: Record<number, string> = {
  500: '<html><body><h1>500 Internal Server Error</h1></body></html>',
  502: '<html><body><h1>502 Bad Gateway</h1></body></html>',
  503: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>',
  504: '<html><body><h1>504 Gateway Time-out</h1></body></html>',
};

export async function startStandInServer(opts: StandInServerOptions): Promise<StandInServer> {
  const faults = opts.faults ?? new FaultController();
  const requests: RequestLog[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const table = new Map(opts.routes.map((r) => [`${r.method} ${r.path}`, r]));
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase() as HttpMethod;
    const body = await readBody(req);
    const query: Record<string, string> = Object.fromEntries(u.searchParams);
    if (body !== '' && String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
      Object.assign(query, Object.fromEntries(new URLSearchParams(body)));
    }
    const now = opts.now();
    const route = table.get(`${method} ${u.pathname}`);
    const plan = faults.plan(u.pathname, route?.paged === true, method);
    const entry: RequestLog = {
      method,
      path: u.pathname,
      query,
      status: null,
      at: Date.now(),
      serverNow: now,
      faults: plan.applied,
    };
    requests.push(entry);
    if (plan.latencyMs > 0) await sleep(plan.latencyMs);
    if (closed) return;
    const ctx: RouteContext = {
      method,
      path: u.pathname,
      query,
      rawQuery: u.search.replace(/^\?/, ''),
      headers: req.headers,
      body,
      now,
      serverTime: now + plan.clockSkewMs,
    };
    if (plan.shortPage !== undefined) ctx.shortPage = plan.shortPage;
    const base: Record<string, string> = {
      date: new Date(ctx.serverTime).toUTCString(),
      ...(opts.extraHeaders?.(ctx) ?? {}),
    };
    if (plan.terminal !== undefined) {
      answerFault(plan.terminal, ctx, res, base, entry);
      return;
    }
    let result: RouteResult;
    try {
      result =
        route === undefined ? { status: 404, body: opts.bodies.notFound(method, u.pathname) } : await route.handle(ctx);
    } catch (e) {
      result = { status: 500, body: { code: -1000, msg: `stand-in route failed: ${(e as Error).message}` } };
    }
    if (plan.dropResponse) return; // acted, never answers; close() destroys the socket
    let text = JSON.stringify(result.body);
    if (plan.malformedJson) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    send(res, entry, result.status, text, {
      'content-type': 'application/json;charset=UTF-8',
      ...base,
      ...(result.headers ?? {}),
    });
  }

  function answerFault(
    f: TerminalFault,
    ctx: RouteContext,
    res: ServerResponse,
    base: Record<string, string>,
    entry: RequestLog,
  ): void {
    if (f.kind === 'hang') return; // the socket is destroyed by close() or the client's timeout
    if (f.kind === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (f.kind === 'reject') {
      send(res, entry, f.status, JSON.stringify(f.body), { 'content-type': 'application/json;charset=UTF-8', ...base });
      return;
    }
    if (f.kind === 'rateLimit') {
      const text = JSON.stringify(opts.bodies.rateLimit(f.status, f.retryAfterSeconds, ctx.serverTime));
      send(res, entry, f.status, text, {
        'content-type': 'application/json;charset=UTF-8',
        ...base,
        'retry-after': String(f.retryAfterSeconds),
      });
      return;
    }
    const text = f.body ?? GATEWAY_BODY[f.status] ?? '';
    const type = text.trimStart().startsWith('{') ? 'application/json;charset=UTF-8' : 'text/html';
    send(res, entry, f.status, text, { 'content-type': type, ...base });
  }

  function send(
    res: ServerResponse,
    entry: RequestLog,
    status: number,
    text: string,
    headers: Record<string, string>,
  ): void {
    entry.status = status;
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    requests,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
