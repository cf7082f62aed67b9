import { timingSafeEqual } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { z } from 'zod';
import { TraderError } from '../../../core/errors.ts';
import { asUser } from '../../../trading/audit/audit-context.ts';
import { identifyToken, refuseWhileLimited } from '../auth.ts';
import { readForm, readFormFields } from '../body.ts';
import { HttpRefusal, invalidRequest } from '../http-errors.ts';
import type { ServerDeps } from '../route-types.ts';
import type { ServeEnv } from '../serve-env.ts';
import { endSession, findSession, startSession, type Session } from '../sessions-repo.ts';
import { touchToken } from '../tokens-repo.ts';
import { barePage } from './layout.ts';

/**
 * Who is signed in to the dashboard, and the rule that every form they send carries
 * their session's CSRF token. A session is a cookie (HttpOnly, SameSite=Strict, Secure on
 * TLS, expiring with the session) started by logging in with a bearer token.
 */

export const sessionCookie = 'trader_session';

export type DashboardEnv = ServeEnv & {
  Variables: ServeEnv['Variables'] & { session: Session; form: Record<string, string> };
};
export type DashboardContext = Context<DashboardEnv>;

/** Only dashboard paths may follow a login: anything else would be an open redirect. */
const safeNext = (next: string | undefined): string =>
  next && /^\/ui(?:\/[A-Za-z0-9/_.%-]*)?(?:\?[A-Za-z0-9=&_.%:+-]*)?$/.test(next) ? next : '/ui';

const LoginForm = z.object({
  token: z.string().min(1, 'enter a token').max(600),
  next: z.string().max(500).optional(),
});

function loginPage(c: Context<ServeEnv>, status: 200 | 401 | 429, message: string | null) {
  const next = safeNext(c.req.query('next'));
  const expired = c.req.query('expired') === '1';
  const note = message ?? (expired ? 'Your session ended or expired; log in again.' : null);
  return c.html(
    barePage(
      'Log in',
      html`${note ? html`<p class="notice" role="alert">${note}</p>` : ''}
        <form method="post" action="/ui/login" class="login">
          <input type="hidden" name="next" value="${next}" />
          <label for="token">Token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
          <button type="submit">Log in</button>
          <p class="hint">
            A token of <code>trader serve token create</code>; it is sent once, then a session cookie is used.
          </p>
        </form>`,
    ),
    status,
  );
}

/** A form a browser sent from a page of another origin (it says so in Origin) is refused, logged in or not. */
function refuseOtherOrigin(c: Pick<Context, 'req'>): void {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== new URL(c.req.url).origin)
    throw new TraderError('FORBIDDEN', `A form from ${origin} may not act on this dashboard; use its own pages.`);
}

export function mountLogin(app: Hono<ServeEnv>, deps: ServerDeps): void {
  app.get('/ui/login', (c) => loginPage(c, 200, null));
  app.post('/ui/login', async (c) => {
    refuseOtherOrigin(c);
    const req = c.env.incoming;
    const remote = req.socket.remoteAddress;
    try {
      await refuseWhileLimited(deps.authLimiter, remote, 'POST /ui/login');
    } catch (e) {
      if (e instanceof HttpRefusal) return loginPage(c, 429, e.message);
      throw e;
    }
    const form = await readForm(req, LoginForm, deps.bodyLimit);
    const who = await identifyToken(deps.db, form.token.trim());
    if (who === 'unknown') {
      deps.authLimiter.refused(remote, 'unknown', 'POST /ui/login');
      return loginPage(
        c,
        401,
        'That token is not valid (unknown or revoked); create one with `trader serve token create`.',
      );
    }
    await touchToken(deps.db, who.token_id);
    c.set('client', who);
    const { cookie } = await startSession(deps.db, who, deps.clock(), deps.sessionHours);
    setCookie(c, sessionCookie, cookie, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: deps.tls,
      path: '/',
      maxAge: Math.round(deps.sessionHours * 3600),
    });
    return c.redirect(safeNext(form.next), 303);
  });
}

const csrfMatches = (sent: string | undefined, expected: string): boolean => {
  if (sent === undefined) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Every dashboard path behind the login: a page without a live session goes to the login
 * (saying the session expired when a cookie was sent); a form without the session's CSRF
 * token is refused 403 before anything is done.
 */
export function requireSession(deps: ServerDeps): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const cookie = getCookie(c, sessionCookie);
    const session = cookie ? await findSession(deps.db, cookie, deps.clock()) : null;
    if (!session) {
      if (cookie) deleteCookie(c, sessionCookie, { path: '/' });
      if (c.req.method === 'GET' && c.req.path !== '/ui/events') {
        const next = encodeURIComponent(c.req.path + (new URL(c.req.url).search || ''));
        return c.redirect(`/ui/login?next=${next}${cookie ? '&expired=1' : ''}`, 303);
      }
      throw new TraderError('UNAUTHORIZED', 'Your dashboard session ended or expired; log in again at /ui/login.');
    }
    c.set('session', session);
    c.set('client', { token_id: session.token_id, name: session.name });
    if (c.req.method === 'POST') {
      refuseOtherOrigin(c);
      const form = await readFormFields(c.env.incoming, deps.bodyLimit);
      if (!csrfMatches(form.csrf, session.csrf))
        throw new TraderError(
          'FORBIDDEN',
          'This form did not carry its page’s security token (CSRF); reload the page and send it again.',
        );
      c.set('form', form);
    }
    // Every USER audit row the request writes names the dashboard and the session's token.
    await asUser({ via: 'dashboard', client: session.name }, next);
  };
}

/** A dashboard form's fields (already CSRF-checked) as a value of `schema`. */
export function formOf<S extends z.ZodType>(c: DashboardContext, schema: S): z.infer<S> {
  const { csrf: _csrf, ...fields } = c.get('form');
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw invalidRequest('body', parsed.error.issues);
  return parsed.data;
}

export function mountLogout(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.post('/ui/logout', async (c) => {
    const cookie = getCookie(c, sessionCookie);
    if (cookie) await endSession(deps.db, cookie, deps.clock());
    deleteCookie(c, sessionCookie, { path: '/' });
    return c.redirect('/ui/login', 303);
  });
}
