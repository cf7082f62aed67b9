import type { Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { AuditActor, AuditMode, AuditStatus, type AuditRow } from '../../../trading/audit/audit-entry.ts';
import { searchAudit, type AuditFilter } from '../../../trading/audit/audit-query.ts';
import { verifyAuditTrail } from '../../../trading/audit/audit-verify.ts';
import { RiskProfileName } from '../../../trading/state-repo.ts';
import type { ServerDeps } from '../route-types.ts';
import { when } from './format.ts';
import { Day, dayAfter, dayStart, inputField, opt, queryOf, selectField } from './filters.ts';
import { render } from './render.ts';
import { dataTable } from './table.ts';
import type { DashboardEnv } from './session-guard.ts';

/** The audit trail with the filters of `trader audit search`, a page at a time, and "verify chain". */

const pageSize = 50;

const AuditQuery = z.object({
  action: opt(
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'an action type is letters, digits and _')
      .max(100),
  ),
  actor: opt(AuditActor),
  status: opt(AuditStatus),
  mode: opt(AuditMode),
  profile: opt(RiskProfileName),
  entity_type: opt(z.string().max(100)),
  entity_id: opt(z.string().max(200)),
  since: opt(Day),
  until: opt(Day),
  text: opt(z.string().max(200)),
  before: opt(z.coerce.number().int().positive()),
});
type AuditQuery = z.infer<typeof AuditQuery>;

function filterOf(q: AuditQuery): AuditFilter {
  const { since, until, action, ...rest } = q;
  return {
    ...rest,
    action: action?.toUpperCase(),
    since: dayStart(since),
    // Until a day means up to the end of it.
    until: dayAfter(until),
    limit: pageSize,
  };
}

const auditRow = (r: AuditRow) =>
  html`<tr class="audit-${r.status.toLowerCase()}">
    <td class="num">${r.seq}</td>
    <td>${when(r.ts)}</td>
    <td>${r.mode}</td>
    <td>${r.actor}</td>
    <td>${r.action_type}</td>
    <td>${r.status}</td>
    <td>${r.entity_type ? `${r.entity_type} ${r.entity_id ?? ''}` : ''}</td>
    <td><code class="details">${JSON.stringify(r.details)}</code></td>
  </tr>`;

export function mountAuditPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/audit', async (c) => {
    const q = queryOf(c.req.query(), AuditQuery);
    const rows = (await searchAudit(deps.db, filterOf(q))).reverse();
    const older = new URLSearchParams(
      Object.entries({ ...q, before: rows.at(-1)?.seq }).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
    );
    return render(c, deps, {
      title: 'Audit trail',
      active: '/ui/audit',
      body: html`<form method="get" class="filters" aria-label="Filter the audit trail">
          ${selectField('mode', 'Mode', AuditMode.options, q)} ${selectField('actor', 'Actor', AuditActor.options, q)}
          ${selectField('status', 'Status', AuditStatus.options, q)}
          ${selectField('profile', 'Risk profile', RiskProfileName.options, q)}
          ${inputField('action', 'Action type', q)} ${inputField('entity_type', 'Entity', q)}
          ${inputField('entity_id', 'Entity id', q)} ${inputField('since', 'From', q, 'date')}
          ${inputField('until', 'To', q, 'date')} ${inputField('text', 'Details contain', q)}
          <button type="submit">Filter</button>
          <a href="/ui/audit">Clear</a>
        </form>
        <p><a href="/ui/audit/verify" class="button">Verify chain</a></p>
        ${dataTable({
          headers: ['#', 'Time', 'Mode', 'Actor', 'Action', 'Status', 'About', 'Details'],
          rows: rows.map(auditRow),
          empty: 'No audit rows match.',
        })}
        <nav class="pager" aria-label="Pages of the audit trail">
          ${q.before ? html`<a href="/ui/audit">Newest</a>` : ''}
          ${rows.length === pageSize ? html`<a href="/ui/audit?${older.toString()}">Older</a>` : ''}
        </nav>`,
    });
  });

  app.get('/ui/audit/verify', async (c) => {
    const result = await verifyAuditTrail(deps.db);
    return render(c, deps, {
      title: 'Audit chain',
      active: '/ui/audit',
      body: result.ok
        ? html`<p class="notice ok" role="status">
              Intact: ${result.rows_checked} rows checked; every hash, link and the chain head agree.
            </p>
            ${result.head ? html`<p>Head: row ${result.head.seq}, hash <code>${result.head.hash}</code>.</p>` : ''}`
        : html`<p class="notice alarm" role="alert">
              BROKEN: ${result.problems.length} problem(s) in ${result.rows_checked} rows. The trail was changed outside
              trader; restore it from a backup you trust.
            </p>
            <ul>
              ${result.problems.map((p) => html`<li>${p.kind} at row ${p.seq ?? '-'}: ${p.detail}</li>`)}
            </ul>`,
    });
  });
}
