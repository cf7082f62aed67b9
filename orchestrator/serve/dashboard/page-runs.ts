import type { Hono } from 'hono';
import { html } from 'hono/html';
import { getRunTrace, listRuns, type LogRow, type RunRow } from '../../../engine/run/runs-repo.ts';
import type { ServerDeps } from '../route-types.ts';
import { when } from './format.ts';
import { render } from './render.ts';
import { dataTable } from './table.ts';
import type { DashboardEnv } from './session-guard.ts';

/** Runs, newest first a page at a time, and one run's trace: each module's rationale, the decision, the actions. */

const pageSize = 50;

const runRow = (r: RunRow) =>
  html`<tr>
    <td><a href="/ui/runs/${r.run_id}">${when(r.started_at)}</a></td>
    <td class="status-${r.status}">${r.status}</td>
    <td>${r.pipeline_id}${r.strategy_id ? `/${r.strategy_id}` : ''}</td>
    <td>${r.symbols.join(', ')}</td>
    <td>${r.trigger}${r.trigger_ref ? ` (${r.trigger_ref})` : ''}</td>
  </tr>`;

function traceRow(l: LogRow) {
  const who = l.module_id ? `${l.stage}/${l.module_id}@${l.module_version}` : 'core';
  const text = l.rationale && l.event !== 'blocked' ? l.rationale : l.message;
  if (l.event === 'decision')
    return html`<tr class="decision">
      <td colspan="3">Decision: ${l.message.toUpperCase()}</td>
      <td>${l.rationale ?? ''}</td>
    </tr>`;
  if (l.event === 'trading')
    return html`<tr class="action">
      <td colspan="3">Action</td>
      <td>${l.message}</td>
    </tr>`;
  return html`<tr class="event-${l.event}">
    <td>${who}</td>
    <td>${l.event}</td>
    <td class="num">${l.duration_ms === null ? '' : `${l.duration_ms.toFixed(2)} ms`}</td>
    <td>${text}</td>
  </tr>`;
}

const traceTable = (caption: string, logs: LogRow[]) =>
  dataTable({
    caption,
    className: 'trace',
    headers: ['Module', 'Event', 'Time', 'Rationale'],
    rows: logs.map(traceRow),
    empty: `${caption}: nothing was logged.`,
  });

export function mountRunPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/runs', async (c) => {
    const beforeText = c.req.query('before');
    const before = beforeText && !Number.isNaN(Date.parse(beforeText)) ? new Date(beforeText) : undefined;
    const runs = await listRuns(deps.db, { limit: pageSize, before });
    const last = runs.at(-1);
    return render(c, deps, {
      title: 'Runs',
      active: '/ui/runs',
      body: html`${dataTable({
          headers: ['Started', 'Status', 'Pipeline', 'Symbols', 'Trigger'],
          rows: runs.map(runRow),
          empty: before ? 'No runs before that time.' : html`No runs yet: start one with <code>trader run</code>.`,
        })}
        <nav class="pager" aria-label="Pages of runs">
          ${before ? html`<a href="/ui/runs">Newest</a>` : ''}
          ${last && runs.length === pageSize ? html`<a href="/ui/runs?before=${last.started_at.toISOString()}">Older</a>` : ''}
        </nav>`,
    });
  });

  app.get('/ui/runs/:run_id', async (c) => {
    const { run, logs } = await getRunTrace(deps.db, c.req.param('run_id'));
    return render(c, deps, {
      title: `Run ${run.run_id.slice(0, 8)}`,
      active: '/ui/runs',
      body: html`<dl class="facts">
          <dt>Status</dt>
          <dd class="status-${run.status}">${run.status}</dd>
          <dt>Pipeline</dt>
          <dd>${run.pipeline_id}${run.strategy_id ? `, strategy ${run.strategy_id}` : ''}</dd>
          <dt>Market</dt>
          <dd>${run.exchange} ${run.timeframe}, as of ${when(run.as_of)}</dd>
          <dt>Trigger</dt>
          <dd>${run.trigger}${run.trigger_ref ? ` (${run.trigger_ref})` : ''}</dd>
          <dt>Run id</dt>
          <dd><code>${run.run_id}</code></dd>
          ${
            run.error
              ? html`<dt>Error</dt>
                  <dd class="alarm">${run.error}</dd>`
              : ''
          }
        </dl>
        ${
          logs.some((l) => l.symbol === null)
            ? traceTable(
                'The run',
                logs.filter((l) => l.symbol === null),
              )
            : ''
        }
        ${run.symbols.map((s) =>
          traceTable(
            s,
            logs.filter((l) => l.symbol === s),
          ),
        )}`,
    });
  });
}
