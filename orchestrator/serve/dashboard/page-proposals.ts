import type { Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { TraderError } from '../../../core/errors.ts';
import { unlockIfLive } from '../../../trading/live-account/unlock.ts';
import {
  getProposal,
  listProposals,
  ProposalStatus,
  type Proposal,
} from '../../../trading/proposals/proposals-repo.ts';
import { describeProposal, parseProposalId, reviewAsUser } from '../../../trading/proposals/review-as-user.ts';
import { tradingTx } from '../../../trading/scope.ts';
import type { ServerDeps } from '../route-types.ts';
import { num, when } from './format.ts';
import { csrfField } from './layout.ts';
import { render } from './render.ts';
import { dataTable } from './table.ts';
import { formOf, type DashboardEnv } from './session-guard.ts';

/**
 * The seed's "Trade Proposals" tab: the proposals of this system mode, and a review page
 * per proposal whose forms call the same use case as `trader proposals approve|reject`
 * (audited with the token's name). A LIVE approval asks for the master PIN.
 */

const ListQuery = z.object({ status: z.union([ProposalStatus, z.literal('all')]).default('pending') });
const ReviewForm = z.object({
  verb: z.enum(['approve', 'reject']),
  note: z.string().trim().max(500).optional(),
  pin: z.string().max(200).optional(),
});

const row = (p: Proposal) =>
  html`<tr>
    <td><a href="/ui/proposals/${p.proposal_id}">#${p.proposal_id}</a></td>
    <td>${p.status}</td>
    <td>${p.symbol}</td>
    <td>${p.side}</td>
    <td class="num">${num(p.qty)}</td>
    <td class="num">${num(p.entry)}</td>
    <td class="num">${num(p.stop)}</td>
    <td class="num">${p.risk_pct.toFixed(2)}%</td>
    <td class="num ${p.leverage > 1 ? 'alarm' : ''}">${p.leverage > 1 ? `${num(p.leverage)}x` : '1x'}</td>
    <td>${p.source_module ?? '-'}${p.strategy_id ? ` (${p.strategy_id})` : ''}</td>
    <td>${p.status === 'pending' ? when(p.expires_at) : (p.decision_note ?? when(p.decided_at))}</td>
  </tr>`;

function reviewForms(p: Proposal, deps: ServerDeps, csrf: ReturnType<typeof csrfField>) {
  if (p.status !== 'pending') return html`<p>This proposal is ${p.status}; there is nothing to review.</p>`;
  const live = deps.scope.mode === 'LIVE';
  return html`<div class="review">
    <form method="post" action="/ui/proposals/${p.proposal_id}" class="confirm approve">
      ${csrf}<input type="hidden" name="verb" value="approve" />
      <p class="warning">
        Approving ${live ? html`<strong>sends a real order to the exchange</strong>` : 'fills it on the paper account'}:
        ${p.side} ${num(p.qty)} ${p.symbol} near ${num(p.entry)}, stop ${num(p.stop)}, risking ${p.risk_pct.toFixed(2)}%
        of equity. The risk gate checks it again before it executes.
      </p>
      ${
        live
          ? html`<label for="pin">Master PIN</label>
              <input id="pin" name="pin" type="password" autocomplete="off" required />`
          : ''
      }
      <button type="submit">Approve and execute #${p.proposal_id}</button>
    </form>
    <form method="post" action="/ui/proposals/${p.proposal_id}" class="confirm reject">
      ${csrf}<input type="hidden" name="verb" value="reject" />
      <label for="note">Why reject (optional)</label>
      <input id="note" name="note" type="text" maxlength="500" />
      <button type="submit">Reject #${p.proposal_id}</button>
    </form>
  </div>`;
}

export function mountProposalPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  const { db, scope } = deps;
  app.get('/ui/proposals', async (c) => {
    const q = ListQuery.safeParse(c.req.query());
    const status = q.success ? q.data.status : 'pending';
    const rows = await tradingTx(db, scope, (tx) =>
      listProposals(tx, scope, { status: status === 'all' ? undefined : status, limit: 100 }),
    );
    const options = ['pending', ...ProposalStatus.options.filter((s) => s !== 'pending'), 'all'];
    return render(c, deps, {
      title: `Proposals (${scope.mode})`,
      active: '/ui/proposals',
      body: html`<form method="get" class="filters">
          <label for="status">Status</label>
          <select id="status" name="status">
            ${options.map((o) => html`<option ${o === status ? 'selected' : ''}>${o}</option>`)}
          </select>
          <button type="submit">Show</button>
        </form>
        ${dataTable({
          headers: [
            '#',
            'Status',
            'Asset',
            'Action',
            'Size',
            'Entry',
            'Stop',
            'Risk',
            'Leverage',
            'Source',
            'Expires / decision',
          ],
          rows: rows.map(row),
          empty: `No ${status === 'all' ? '' : `${status} `}proposals.`,
        })}`,
    });
  });

  app.get('/ui/proposals/:id', async (c) => {
    const id = parseProposalId(c.req.param('id'));
    const p = await tradingTx(db, scope, (tx) => getProposal(tx, scope, id));
    if (!p) throw new TraderError('NOT_FOUND', `There is no proposal ${id} in ${scope.mode}.`);
    return render(c, deps, {
      title: `Proposal #${id}`,
      active: '/ui/proposals',
      body: html`${
          c.req.query('done')
            ? html`<p class="notice" role="status">
                Proposal #${id} is ${p.status}${p.position_id ? html`; position #${p.position_id} is open` : ''}.
              </p>`
            : ''
        }
        <p class="summary">${describeProposal(p)}</p>
        ${p.run_id ? html`<p>Decided by run <a href="/ui/runs/${p.run_id}">${p.run_id}</a>.</p>` : ''}
        ${reviewForms(p, deps, csrfField(c.get('session')))}`,
    });
  });

  app.post('/ui/proposals/:id', async (c) => {
    const id = parseProposalId(c.req.param('id'));
    const form = formOf(c, ReviewForm);
    const done = await reviewAsUser(db, scope, {
      id,
      verb: form.verb,
      note: form.note || null,
      now: deps.clock(),
      env: deps.env,
      confirmation: { via: 'dashboard', client: c.get('session').name },
      beforeApprove: () => unlockIfLive(db, scope.mode, { pin: async () => form.pin ?? '' }, { everyTime: true }),
    });
    return c.redirect(`/ui/proposals/${id}?done=${done.status}`, 303);
  });
}
