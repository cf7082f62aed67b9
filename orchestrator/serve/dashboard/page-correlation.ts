import type { Hono } from 'hono';
import { html } from 'hono/html';
import { correlationRanking, rankingCells, rankingHeader } from '../../../analysis/correlation-ranking.ts';
import type { ServerDeps } from '../route-types.ts';
import { when } from './format.ts';
import { render } from './render.ts';
import type { DashboardEnv } from './session-guard.ts';
import { dataTable } from './table.ts';

/**
 * The seed's dedicated correlation section (section 9): while the analysis is enabled, the
 * ranked pairs (top 20 by average efficiency, with the std-dev as consistency and the hit
 * count) under the seed's warning; while it is off, one line saying how to turn it on.
 * The same ranking as `trader correlation show` (analysis/correlation-ranking.ts).
 */

const top = 20;

export function mountCorrelationPage(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/correlation', async (c) => {
    const r = await correlationRanking(deps.db, { top });
    const body = r.enabled
      ? html`<p class="notice alarm" role="note"><strong>${r.warning}</strong></p>
          <section aria-labelledby="h-ranking">
            <h2 id="h-ranking">Top ${top} pairs by average efficiency (${r.exchange} ${r.timeframe})</h2>
            ${dataTable({
              headers: rankingHeader,
              rows: rankingCells(r.pairs).map(
                (cells) =>
                  html`<tr>
                    ${cells.map((cell, i) => html`<td class="${i === 1 || i === 7 ? '' : 'num'}">${cell}</td>`)}
                  </tr>`,
              ),
              empty: html`No events stored yet: the scheduled job (<code
                  >trader schedule add "5 * * * *" --job correlation</code
                >) or <code>trader correlation run</code> finds them.`,
            })}
            <p class="legend">
              Efficiency = the altcoin's move / the lead coin's move in the same bar (delayed: the altcoin's next bar);
              hits: events where the altcoin moved the lead's way.
              ${
                r.latest_run
                  ? `Last analysis: ${when(new Date(r.latest_run.window_from))} to ${when(new Date(r.latest_run.window_to))}, ${r.latest_run.events} events.`
                  : ''
              }
              Never used in trading.
            </p>
          </section>`
      : html`<p>
          The correlation analysis is off; enable it with <code>correlation: enable_correlation_analysis: true</code> in
          the configuration file (<code>trader config apply</code>).
        </p>`;
    return render(c, deps, { title: 'Correlation to lead coins', active: '/ui/correlation', body });
  });
}
