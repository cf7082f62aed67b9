import type { IncomingMessage, ServerResponse } from 'node:http';
import { TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { authenticate, type Client } from './auth.ts';
import { HttpRefusal, sendError, sendJson } from './http-errors.ts';
import type { Route, ServerDeps } from './route-types.ts';
import { healthRoutes } from './routes-health.ts';
import { runRoutes } from './routes-runs.ts';
import { tradingRoutes } from './routes-trading.ts';

/** Every endpoint of `trader serve`. */
export const routes: Route[] = [...healthRoutes, ...runRoutes, ...tradingRoutes];

/** The route for a method and path: 404 when no route has the path, 405 (with Allow) when none has the method. */
export function matchRoute(method: string, path: string): { route: Route; params: string[] } {
  const onPath = routes.flatMap((route) => {
    const m = route.path.exec(path);
    return m ? [{ route, params: m.slice(1) }] : [];
  });
  if (onPath.length === 0)
    throw new TraderError(
      'NOT_FOUND',
      `There is no endpoint ${path}; the endpoints are /health, /runs, /runs/<run_id>, /status, /proposals and /proposals/<id>/approve|reject.`,
    );
  const hit = onPath.find((r) => r.route.method === method);
  if (!hit) {
    const allow = onPath.map((r) => r.route.method).join(', ');
    throw new HttpRefusal('METHOD_NOT_ALLOWED', `${path} does not accept ${method}; use ${allow}.`, { allow });
  }
  let params: string[];
  try {
    params = hit.params.map((p) => decodeURIComponent(p));
  } catch {
    throw new TraderError('BAD_INPUT', `The path ${path} is not correctly percent-encoded.`);
  }
  return { route: hit.route, params };
}

/** Paths go to the log and the audit trail shortened: they are the caller's text. */
const shown = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}...` : path);

/**
 * One request, start to end: route, authenticate (before any body is read), handle,
 * answer with one JSON document, log one line. Whatever happens, the client gets a
 * JSON answer and never a stack trace.
 */
export async function dispatch(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  let path = '?';
  let status = 500;
  let client: Client | null = null;
  try {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://trader.invalid');
    } catch {
      throw new TraderError('BAD_INPUT', 'The request target is not a valid URL path.');
    }
    path = shown(url.pathname);
    if (deps.closing()) {
      res.setHeader('connection', 'close');
      throw new TraderError('TRANSIENT', 'trader serve is shutting down; retry when it is back.');
    }
    const { route, params } = matchRoute(method, url.pathname);
    if (route.auth) client = await authenticate(deps.db, deps.authLimiter, req, path);
    const reply = await route.handle({ req, url, params, client }, deps);
    if (deps.closing()) res.setHeader('connection', 'close');
    sendJson(res, reply.status, reply.body, reply.headers);
    status = reply.status;
  } catch (e) {
    if (deps.closing()) res.setHeader('connection', 'close');
    status = sendError(res, e, { method, path });
  } finally {
    logger.info(
      { method, path, status, ms: Math.round(performance.now() - started), client: client?.name ?? null },
      'http request',
    );
  }
}
