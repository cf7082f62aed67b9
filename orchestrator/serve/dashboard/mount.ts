import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import type { ServerDeps } from '../route-types.ts';
import { publicError, statusOf } from '../http-errors.ts';
import type { ServeEnv } from '../serve-env.ts';
import { mountAssets } from './assets.ts';
import { mountEventStream } from './event-stream.ts';
import { barePage } from './layout.ts';
import { mountAuditPages } from './page-audit.ts';
import { mountBacktestPages } from './page-backtests.ts';
import { mountCorrelationPage } from './page-correlation.ts';
import { mountControlPages } from './page-controls.ts';
import { mountOverviewPage } from './page-overview.ts';
import { mountPositionPages } from './page-positions.ts';
import { mountProposalPages } from './page-proposals.ts';
import { mountRegistryPages } from './page-registry.ts';
import { mountRunPages } from './page-runs.ts';
import { mountStudyPages } from './page-studies.ts';
import { mountWorkerPages } from './page-workers.ts';
import { mountLogin, mountLogout, requireSession, type DashboardEnv } from './session-guard.ts';

/**
 * The dashboard: server-rendered pages under /ui on the same port and tokens as the API.
 * Every answer carries a strict Content-Security-Policy (scripts and styles from this
 * server only, no inline script); a form from another origin, or without its session's
 * CSRF token, is refused before anything is done (session-guard.ts).
 */

export const isDashboardPath = (path: string): boolean => path === '/' || path === '/ui' || path.startsWith('/ui/');

const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  referrerPolicy: 'same-origin',
  strictTransportSecurity: false,
});

export function mountDashboard(app: Hono<ServeEnv>, deps: ServerDeps): void {
  app.use('/ui/*', headers);
  app.use('/ui', headers);
  app.get('/', (c) => c.redirect('/ui', 302));
  mountAssets(app);
  mountLogin(app, deps);
  const ui = app as unknown as Hono<DashboardEnv>;
  ui.use('/ui', requireSession(deps));
  ui.use('/ui/*', requireSession(deps));
  mountLogout(ui, deps);
  mountEventStream(ui, deps);
  mountOverviewPage(ui, deps);
  mountPositionPages(ui, deps);
  mountProposalPages(ui, deps);
  mountRunPages(ui, deps);
  mountControlPages(ui, deps);
  mountBacktestPages(ui, deps);
  mountStudyPages(ui, deps);
  mountCorrelationPage(ui, deps);
  mountRegistryPages(ui, deps);
  mountWorkerPages(ui, deps);
  mountAuditPages(ui, deps);
}

/** The dashboard's one error page: the sentence, and where to go next. */
export function dashboardError(
  c: Context<ServeEnv>,
  e: unknown,
  context: Record<string, unknown>,
): Response | Promise<Response> {
  const { err, message } = publicError(e, context);
  const status = statusOf(err) as 400;
  const next =
    err.code === 'UNAUTHORIZED'
      ? html`<p><a href="/ui/login">Log in</a></p>`
      : html`<p><a href="/ui">Back to the overview</a></p>`;
  return c.html(
    barePage(
      'Not done',
      html`<p class="notice alarm" role="alert">${message}</p>
        ${next}`,
    ),
    status,
  );
}
