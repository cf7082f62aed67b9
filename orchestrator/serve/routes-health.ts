import { errorMessage, TraderError } from '../../core/errors.ts';
import { ok, type Reply, type RequestContext, type Route, type ServerDeps } from './route-types.ts';

/** `GET /health`, without a token: the server is up and its database answers. Says nothing about the account. */
async function health(_ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  try {
    await deps.db.query('select 1');
  } catch (e) {
    throw new TraderError('TRANSIENT', `The database does not answer (${errorMessage(e)}); check it, then retry.`);
  }
  return ok({ status: 'ok', database: 'reachable', backend: deps.db.kind, system_mode: deps.scope.mode });
}

export const healthRoutes: Route[] = [{ method: 'GET', path: '/health', auth: false, handle: health }];
