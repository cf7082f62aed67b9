import { z } from 'zod';
import { isTraderError, TraderError } from '../../core/errors.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { loadTradingStatus } from '../../trading/governance/trading-status.ts';
import { checkModeBarrier } from '../../trading/mode-barrier.ts';
import { auditUserAction } from '../../trading/governance/user-action.ts';
import { getProposal, listProposals, ProposalStatus } from '../../trading/proposals/proposals-repo.ts';
import { approveProposal, rejectProposal, type ReviewResult } from '../../trading/proposals/review-proposal.ts';
import { tradingTx } from '../../trading/scope.ts';
import { loadState } from '../../trading/state-repo.ts';
import type { Client } from './auth.ts';
import { readJson, readQuery } from './body.ts';
import { ok, type Reply, type RequestContext, type Route, type ServerDeps } from './route-types.ts';
import { quote } from '../../core/quote.ts';

/**
 * `GET /status`, `GET /proposals` and `POST /proposals/:id/approve|reject`: what
 * `trader status` and `trader proposals` do, in the server's system mode. A review is a
 * user action: the authenticated request is its confirmation (audited as one, naming
 * the token), and refusals are audited as the CLI audits them. Neither needs the master
 * PIN in the CLI, so neither does here; nothing that needs the PIN is served over HTTP.
 */

const ProposalsQuery = z
  .object({
    status: ProposalStatus.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(20),
  })
  .strict();

const ApproveBody = z.object({}).strict();
const RejectBody = z.object({ note: z.string().min(1).max(500).optional() }).strict();

function proposalId(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1)
    throw new TraderError('BAD_INPUT', `A proposal id is a positive whole number, not ${quote(raw)}.`);
  return n;
}

async function status(_ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  return ok({
    ...(await loadTradingStatus(deps.db, deps.scope)),
    barrier: await checkModeBarrier(deps.db, deps.scope),
  });
}

async function proposals(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  const q = readQuery(ctx.url, ProposalsQuery);
  const { db, scope } = deps;
  const rows = await tradingTx(db, scope, (tx) => listProposals(tx, scope, { status: q.status, limit: q.limit }));
  return ok({ mode: scope.mode, proposals: rows });
}

type Verb = 'approve' | 'reject';

/** As `trader proposals approve|reject --yes`, with the request standing in for the typed yes. */
async function review(
  deps: ServerDeps,
  client: Client,
  id: number,
  verb: Verb,
  run: () => Promise<ReviewResult>,
): Promise<ReviewResult> {
  const { db, scope } = deps;
  const refused = async (e: unknown): Promise<never> => {
    if (isTraderError(e)) {
      await tradingTx(db, scope, (tx) =>
        recordAudit(tx, {
          mode: scope.mode,
          actor: 'USER',
          action_type: 'TRADE_PROPOSAL_REVIEW_REFUSED',
          status: 'FAILURE',
          details: { verb, reason: e.message, via: 'http', client: client.name },
          entity_type: 'proposal',
          entity_id: String(id),
        }),
      );
    }
    throw e;
  };
  const { p, state } = await tradingTx(db, scope, async (tx) => ({
    p: await getProposal(tx, scope, id),
    state: await loadState(tx, scope),
  }));
  if (!p)
    return refused(
      new TraderError('NOT_FOUND', `There is no proposal ${id} in ${scope.mode}; list them with GET /proposals.`),
    );
  await tradingTx(db, scope, (tx) =>
    auditUserAction(tx, scope, state.risk_profile, 'TRADE_PROPOSAL_REVIEW', 'SUCCESS', {
      verb,
      proposal_id: id,
      confirmation: 'http_request',
      client: client.name,
    }),
  );
  return run().catch(refused);
}

function outcome(r: ReviewResult): Reply {
  const p = r.proposal;
  if (r.status === 'expired')
    throw new TraderError(
      'BAD_INPUT',
      `Proposal ${p.proposal_id} expired at ${p.expires_at.toISOString()}; nothing was traded.`,
    );
  if (r.status === 'failed')
    throw new TraderError(
      'HALTED',
      `Proposal ${p.proposal_id} was approved but refused at execution: ${r.reasons.join('; ')}.`,
    );
  return ok({ ...r });
}

async function approve(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  const id = proposalId(ctx.params[0]!);
  await readJson(ctx.req, ApproveBody, deps.bodyLimit);
  return outcome(
    await review(deps, ctx.client!, id, 'approve', () => approveProposal(deps.db, deps.scope, id, deps.clock())),
  );
}

async function reject(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  const id = proposalId(ctx.params[0]!);
  const body = await readJson(ctx.req, RejectBody, deps.bodyLimit);
  return outcome(
    await review(deps, ctx.client!, id, 'reject', () => rejectProposal(deps.db, deps.scope, id, body.note ?? null)),
  );
}

export const tradingRoutes: Route[] = [
  { method: 'GET', path: /^\/status$/, auth: true, handle: status },
  { method: 'GET', path: /^\/proposals$/, auth: true, handle: proposals },
  { method: 'POST', path: /^\/proposals\/([^/]+)\/approve$/, auth: true, handle: approve },
  { method: 'POST', path: /^\/proposals\/([^/]+)\/reject$/, auth: true, handle: reject },
];
