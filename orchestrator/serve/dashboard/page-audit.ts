import type { Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { AuditActor, AuditMode, AuditStatus, type AuditRow } from '../../../trading/audit/audit-entry.ts';
import { searchAudit, type AuditFilter } from '../../../trading/audit/audit-query.ts';
import { verifyAuditTrail } from '../../../trading/audit/audit-verify.ts';
import { RiskProfileName } from '../../../trading/state-repo.ts';
import { invalidRequest } from '../http-errors.ts';
import type { ServerDeps } from '../route-types.ts';
import { when } from './format.ts';
import type { Html } from './layout.ts';
import { render } from './render.ts';
import { dataTable } from './table.ts';
import type { DashboardEnv } from './session-guard.ts';

/** The audit trail with the filters of `trader audit search`, a page at a time, and "verify chain". */

const pageSize = 50;
const blank = (v: unknown) => (v === '' ? undefined : v);
const opt = <T extends z.ZodType>(t: T) => z.preprocess(blank, t.optional());
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD');

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
  since: opt(day),
  until: opt(day),
  text: opt(z.string().max(200)),
  before: opt(z.coerce.number().int().positive()),
});
type AuditQuery = z.infer<typeof AuditQuery>;

function filterOf(q: AuditQuery): AuditFilter {
  const { since, until, action, ...rest } = q;
  return {
    ...rest,
    action: action?.toUpperCase(),
    since: since ? new Date(`${since}T00:00:00Z`) : undefined,
    // Until a day means up to the end of it.
    until: until ? new Date(Date.parse(`${until}T00:00:00Z`) + 86_400_000) : undefined,
    limit: pageSize,
  };
}

const field = (name: keyof AuditQuery, label: string, control: Html) =>
  html`<span class="field"><label for="f-${name}">${label}</label>${control}</span>`;

const select = (name: keyof AuditQuery, label: string, options: readonly string[], q: AuditQuery) =>
  field(
    name,
    label,
    html`<select id="f-${name}" name="${name}">
      <option value="">any</option>
      ${options.map((o) => html`<option ${q[name] === o ? 'selected' : ''}>${o}</option>`)}
    </select>`,
  );

const input = (name: keyof AuditQuery, label: string, q: AuditQuery, type = 'text') =>
  field(name, label, html`<input id="f-${name}" name="${name}" type="${type}" value="${q[name] ?? ''}" />`);

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
    const parsed = AuditQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalidRequest('query', parsed.error.issues);
    const q = parsed.data;
    const rows = (await searchAudit(deps.db, filterOf(q))).reverse();
    const older = new URLSearchParams(
      Object.entries({ ...q, before: rows.at(-1)?.seq }).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
    );
    return render(c, deps, {
      title: 'Audit trail',
      active: '/ui/audit',
      body: html`<form method="get" class="filters" aria-label="Filter the audit trail">
          ${select('mode', 'Mode', AuditMode.options, q)} ${select('actor', 'Actor', AuditActor.options, q)}
          ${select('status', 'Status', AuditStatus.options, q)}
          ${select('profile', 'Risk profile', RiskProfileName.options, q)} ${input('action', 'Action type', q)}
          ${input('entity_type', 'Entity', q)} ${input('entity_id', 'Entity id', q)}
          ${input('since', 'From', q, 'date')} ${input('until', 'To', q, 'date')} ${input('text', 'Details contain', q)}
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
