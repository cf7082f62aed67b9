import type { HttpBindings } from '@hono/node-server';
import type { Client } from './auth.ts';

/** What every request of `trader serve` carries through hono: Node's request and response, and who asked. */
export interface ServeEnv {
  Bindings: HttpBindings;
  Variables: {
    /** The path as logged and audited (shortened: it is the caller's text). */
    path: string;
    /** The authenticated client: a bearer token on the API, a session's token on the dashboard. */
    client: Client | null;
  };
}
