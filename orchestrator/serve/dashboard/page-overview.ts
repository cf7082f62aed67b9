import type { Hono } from 'hono';
import { html } from 'hono/html';
import { listRuns } from '../../../engine/run/runs-repo.ts';
import type { AuditRow } from '../../../trading/audit/audit-entry.ts';
import { searchAudit } from '../../../trading/audit/audit-query.ts';
import { listOpenPositions, type Position } from '../../../trading/positions-repo.ts';
import { tradingTx } from '../../../trading/scope.ts';
import type { ServerDeps } from '../route-types.ts';
import { num, when } from './format.ts';
import { render } from './render.ts';
import { dataTable } from './table.ts';
import type { DashboardEnv } from './session-guard.ts';

/** The seed's Overview tab: open positions, the newest runs, and the newest failures of the audit trail. */

const positionRow = (p: Position) =>
  html`<tr>
    <td>${p.symbol}</td>
    <td>${p.side}</td>
    <td class="num">${num(p.open_qty)}</td>
    <td class="num">${num(p.entry_price)}</td>
    <td class="num">${num(p.stop_price)}</td>
    <td class="num ${p.leverage > 1 ? 'alarm' : ''}">${num(p.leverage)}x</td>
    <td class="num">${p.risk_pct.toFixed(2)}%</td>
    <td>${when(p.opened_at)}</td>
  </tr>`;

const failureRow = (r: AuditRow) =>
  html`<li>
    <span class="status-${r.status.toLowerCase()}">${r.status}</span> ${when(r.ts)} ${r.mode} ${r.action_type}
    <a href="/ui/audit?action=${r.action_type}">similar</a>
  </li>`;

export function mountOverviewPage(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  const { db, scope } = deps;
  app.get('/ui', async (c) => {
    const [positions, runs, failures, critical] = await Promise.all([
      tradingTx(db, scope, (tx) => listOpenPositions(tx, scope)),
      listRuns(db, { limit: 5 }),
      searchAudit(db, { status: 'FAILURE', limit: 5 }),
      searchAudit(db, { status: 'CRITICAL', limit: 5 }),
    ]);
    const alarms = [...failures, ...critical].sort((a, b) => b.seq - a.seq).slice(0, 8);
    return render(c, deps, {
      title: 'Overview',
      active: '/ui',
      body: html`<section aria-labelledby="h-positions">
          <h2 id="h-positions">Open positions (${scope.mode})</h2>
          ${dataTable({
            headers: ['Asset', 'Side', 'Quantity', 'Entry', 'Stop', 'Leverage', 'Risk', 'Opened'],
            rows: positions.map(positionRow),
            empty: 'No open positions.',
          })}
        </section>
        <section aria-labelledby="h-runs">
          <h2 id="h-runs">Latest runs</h2>
          ${
            runs.length === 0
              ? html`<p>No runs yet.</p>`
              : html`<ul>
                  ${runs.map(
                    (r) =>
                      html`<li>
                        <a href="/ui/runs/${r.run_id}">${when(r.started_at)}</a> ${r.status} ${r.pipeline_id}
                        ${r.symbols.join(', ')}
                      </li>`,
                  )}
                </ul>`
          }
        </section>
        <section aria-labelledby="h-failures">
          <h2 id="h-failures">Recent failures in the audit trail</h2>
          ${
            alarms.length === 0
              ? html`<p>None.</p>`
              : html`<ul>
                  ${alarms.map(failureRow)}
                </ul>`
          }
        </section>`,
    });
  });
}
