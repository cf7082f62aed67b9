import type { Hono } from 'hono';
import { html } from 'hono/html';
import { listRuns } from '../../../engine/run/runs-repo.ts';
import type { AuditRow } from '../../../trading/audit/audit-entry.ts';
import { searchAudit } from '../../../trading/audit/audit-query.ts';
import { equityHistory, portfolioSnapshot } from '../../../trading/portfolio.ts';
import { jsonBlock } from './chart-data.ts';
import { chartHead } from './page-backtests.ts';
import { listWallets } from '../../../trading/positions-repo.ts';
import { dataTable } from './table.ts';
import { exposureSection } from './exposure.ts';
import { systemSummary, systemSummarySection } from './system-summary.ts';
import { loadRiskProfile, loadState } from '../../../trading/state-repo.ts';
import { tradingTx } from '../../../trading/scope.ts';
import type { ServerDeps } from '../route-types.ts';
import { num, when } from './format.ts';
import { render } from './render.ts';
import { openPositionsTable } from './page-positions.ts';
import type { DashboardEnv } from './session-guard.ts';

/** The seed's Overview tab: open positions, exposure, the portfolio's value, balances, the newest runs, and the newest failures of the audit trail. */

const failureRow = (r: AuditRow) =>
  html`<li>
    <span class="status-${r.status.toLowerCase()}">${r.status}</span> ${when(r.ts)} ${r.mode} ${r.action_type}
    <a href="/ui/audit?action=${r.action_type}">similar</a>
  </li>`;

export function mountOverviewPage(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  const { db, scope } = deps;
  app.get('/ui', async (c) => {
    const [{ snapshot, profile, wallets, history }, runs, failures, critical, summary] = await Promise.all([
      tradingTx(db, scope, async (tx) => ({
        snapshot: await portfolioSnapshot(tx, scope, deps.clock()),
        profile: await loadRiskProfile(tx, scope, (await loadState(tx, scope)).risk_profile),
        wallets: await listWallets(tx, scope),
        history: await equityHistory(tx, scope, 5000),
      })),
      listRuns(db, { limit: 5 }),
      searchAudit(db, { status: 'FAILURE', limit: 5 }),
      searchAudit(db, { status: 'CRITICAL', limit: 5 }),
      systemSummary(db, scope.mode),
    ]);
    const alarms = [...failures, ...critical].sort((a, b) => b.seq - a.seq).slice(0, 8);
    return render(c, deps, {
      title: 'Overview',
      active: '/ui',
      head: history.length < 2 ? undefined : chartHead,
      body: html`<section aria-labelledby="h-system">
          <h2 id="h-system">System</h2>
          ${systemSummarySection(summary)}
        </section>
        <section aria-labelledby="h-positions">
          <h2 id="h-positions">Open positions (${scope.mode})</h2>
          ${openPositionsTable(snapshot.positions)}
        </section>
        <section aria-labelledby="h-exposure">
          <h2 id="h-exposure">Exposure (${scope.mode})</h2>
          ${exposureSection(snapshot, profile)}
        </section>
        <section aria-labelledby="h-value">
          <h2 id="h-value">Portfolio value (${scope.mode})</h2>
          ${
            history.length < 2
              ? html`<p>Not enough history yet: the value is recorded each time it changes.</p>`
              : html`<div
                    id="equity-chart"
                    class="chart"
                    role="img"
                    aria-label="Portfolio value and drawdown over time"
                  ></div>
                  ${jsonBlock('chart-data', {
                    equity: {
                      t: history.map((h) => Math.floor(h.recorded_at.getTime() / 1000)),
                      equity: history.map((h) => h.equity),
                      drawdown: history.map((h) => Number(((h.equity / h.peak_equity - 1) * 100).toFixed(4))),
                    },
                  })}`
          }
        </section>
        <section aria-labelledby="h-wallets">
          <h2 id="h-wallets">Balances (${scope.mode})</h2>
          ${dataTable({
            headers: ['Asset', 'Free balance', 'Updated'],
            rows: wallets.map(
              (w) =>
                html`<tr>
                  <td>${w.asset}</td>
                  <td class="num">${num(w.balance)}</td>
                  <td>${when(w.updated_at)}</td>
                </tr>`,
            ),
            empty: scope.mode === 'LIVE' ? 'No balance reconciled yet.' : 'No balances.',
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
