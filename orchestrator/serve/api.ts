import type { Hono } from 'hono';
import { TraderError } from '../../core/errors.ts';
import { asUser } from '../../trading/audit/audit-context.ts';
import { authenticate } from './auth.ts';
import { HttpRefusal, jsonResponse } from './http-errors.ts';
import type { ServeEnv } from './serve-env.ts';
import type { Route, ServerDeps } from './route-types.ts';
import { healthRoutes } from './routes-health.ts';
import { runRoutes } from './routes-runs.ts';
import { tradingRoutes } from './routes-trading.ts';

/** Every JSON endpoint of `trader serve` (the dashboard lives under /ui, see dashboard/). */
export const apiRoutes: Route[] = [...healthRoutes, ...runRoutes, ...tradingRoutes];

export const unknownEndpoint = (path: string): TraderError =>
  new TraderError(
    'NOT_FOUND',
    `There is no endpoint ${path}; the endpoints are /health, /runs, /runs/<run_id>, /status, /proposals, /proposals/<id>/approve|reject and the dashboard at /ui.`,
  );

/**
 * Registers the JSON API on `app`: each route authenticated by its bearer token before
 * any body is read, then answered with one JSON document; a known path asked with
 * another method is a 405 naming the methods it accepts.
 */
export function mountApi(app: Hono<ServeEnv>, deps: ServerDeps): void {
  const paths = [...new Set(apiRoutes.map((r) => r.path))];
  for (const path of paths) {
    const onPath = apiRoutes.filter((r) => r.path === path);
    for (const route of onPath)
      app.on(route.method, path, async (c) => {
        const req = c.env.incoming;
        const client = route.auth ? await authenticate(deps.db, deps.authLimiter, req, c.get('path')) : null;
        c.set('client', client);
        const handle = () => route.handle({ req, url: new URL(c.req.url), params: c.req.param(), client }, deps);
        // Every USER audit row the request writes names the API and the bearer token's name.
        const reply = await (client ? asUser({ via: 'http', client: client.name }, handle) : handle());
        return jsonResponse(reply.status, reply.body, reply.headers);
      });
    const allow = onPath.map((r) => r.method).join(', ');
    app.all(path, (c) => {
      throw new HttpRefusal('METHOD_NOT_ALLOWED', `${path} does not accept ${c.req.method}; use ${allow}.`, { allow });
    });
  }
}
