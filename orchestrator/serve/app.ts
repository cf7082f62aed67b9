import { Hono, type Context } from 'hono';
import { TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { mountApi, unknownEndpoint } from './api.ts';
import { mountDashboard, dashboardError, isDashboardPath } from './dashboard/mount.ts';
import { errorResponse } from './http-errors.ts';
import type { ServerDeps } from './route-types.ts';
import type { ServeEnv } from './serve-env.ts';

/** Paths go to the log and the audit trail shortened: they are the caller's text. */
const shown = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}...` : path);

/**
 * `trader serve`'s requests, start to end: one log line each, a 503 once shutdown has
 * begun, the JSON API and the dashboard, and one error path: the API answers a JSON error
 * document, the dashboard an HTML page, neither ever a stack trace.
 */
export function createApp(deps: ServerDeps): Hono<ServeEnv> {
  const app = new Hono<ServeEnv>();
  const answer = (c: Context<ServeEnv>, e: unknown): Response | Promise<Response> => {
    const context = { method: c.req.method, path: c.get('path') };
    return isDashboardPath(c.req.path) ? dashboardError(c, e, context) : errorResponse(e, context);
  };
  app.use(async (c, next) => {
    const started = performance.now();
    c.set('path', shown(c.req.path));
    c.set('client', null);
    try {
      if (deps.closing())
        c.res = await answer(c, new TraderError('TRANSIENT', 'trader serve is shutting down; retry when it is back.'));
      else await next();
    } finally {
      if (deps.closing()) c.env.outgoing.setHeader('connection', 'close');
      logger.info(
        {
          method: c.req.method,
          path: c.get('path'),
          status: c.res.status,
          ms: Math.round(performance.now() - started),
          client: c.get('client')?.name ?? null,
        },
        'http request',
      );
    }
  });
  mountApi(app, deps);
  mountDashboard(app, deps);
  app.notFound((c) =>
    answer(
      c,
      isDashboardPath(c.req.path)
        ? new TraderError('NOT_FOUND', `There is no page ${c.get('path')}.`)
        : unknownEndpoint(c.get('path')),
    ),
  );
  app.onError((e, c) => answer(c, e));
  return app;
}
