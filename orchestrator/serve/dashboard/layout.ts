import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Session } from '../sessions-repo.ts';
import { renderStatusBar, type StatusBar } from './status-bar.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The dashboard's pages, in the order of its navigation (the seed's tabs, then the system's own). */
export const pages = [
  { path: '/ui', label: 'Overview' },
  { path: '/ui/positions', label: 'Positions & trades' },
  { path: '/ui/proposals', label: 'Proposals' },
  { path: '/ui/controls', label: 'Strategies & risk' },
  { path: '/ui/runs', label: 'Runs' },
  { path: '/ui/backtests', label: 'Backtests' },
  { path: '/ui/studies', label: 'Studies' },
  { path: '/ui/correlation', label: 'Correlation' },
  { path: '/ui/system', label: 'Modules & data' },
  { path: '/ui/workers', label: 'Workers & jobs' },
  { path: '/ui/audit', label: 'Audit trail' },
] as const;
export type PagePath = (typeof pages)[number]['path'];

/** The whole document; `bodyClass` and `events` mark a bare page and where live updates come from. */
const documentOf = (title: string, body: Html, o: { bodyClass?: string; events?: string; head?: Html } = {}) =>
  html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · trader</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/ui/assets/dashboard.css" />
        <script type="module" src="/ui/assets/dashboard.js"></script>
        ${o.head ?? ''}
      </head>
      <body class="${o.bodyClass ?? ''}" ${o.events ? html`data-events="${o.events}"` : ''}>
        ${body}
      </body>
    </html>`;

/** A page a signed-in user sees: the status bar, the navigation, then `body` in <main>. */
export interface PageContent {
  title: string;
  active: PagePath;
  body: Html;
  /** Extra stylesheets and scripts of this page (the chart libraries). */
  head?: Html;
}

export function page(o: PageContent & { session: Session; status: StatusBar }): Html {
  return documentOf(
    o.title,
    html`<a class="skip" href="#main">Skip to content</a>
      ${renderStatusBar(o.status)}
      <nav class="tabs" aria-label="Pages">
        <ul>
          ${pages.map(
            (p) =>
              html`<li><a href="${p.path}" ${p.path === o.active ? html`aria-current="page"` : ''}>${p.label}</a></li>`,
          )}
        </ul>
        <form method="post" action="/ui/logout" class="logout">
          <input type="hidden" name="csrf" value="${o.session.csrf}" />
          <span class="who">${o.session.name}</span>
          <button type="submit">Log out</button>
        </form>
        <span id="live" class="live" role="status" aria-live="polite">live updates off</span>
      </nav>
      <main id="main" tabindex="-1">
        <h1>${o.title}</h1>
        ${o.body}
      </main>`,
    { events: '/ui/events', head: o.head },
  );
}

/** A page without a session (login, errors). */
export function barePage(title: string, body: Html): Html {
  return documentOf(
    title,
    html`<main id="main">
      <h1>${title}</h1>
      ${body}
    </main>`,
    { bodyClass: 'bare' },
  );
}

/** A hidden field every form of a signed-in page carries. */
export const csrfField = (s: Session) => html`<input type="hidden" name="csrf" value="${s.csrf}" />`;
