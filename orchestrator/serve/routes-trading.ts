import { z } from 'zod';
import { loadTradingStatus } from '../../trading/governance/trading-status.ts';
import { checkModeBarrier } from '../../trading/mode-barrier.ts';
import { listProposals, ProposalStatus } from '../../trading/proposals/proposals-repo.ts';
import { parseProposalId, reviewAsUser } from '../../trading/proposals/review-as-user.ts';
import { tradingTx } from '../../trading/scope.ts';
import { readJson, readQuery } from './body.ts';
import { ok, type Reply, type RequestContext, type Route, type ServerDeps } from './route-types.ts';

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

async function approve(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  const id = parseProposalId(ctx.params.id!);
  await readJson(ctx.req, ApproveBody, deps.bodyLimit);
  return ok({
    ...(await reviewAsUser(deps.db, deps.scope, {
      id,
      verb: 'approve',
      note: null,
      now: deps.clock(),
      env: deps.env,
      confirmation: { via: 'http', client: ctx.client!.name },
    })),
  });
}

async function reject(ctx: RequestContext, deps: ServerDeps): Promise<Reply> {
  const id = parseProposalId(ctx.params.id!);
  const body = await readJson(ctx.req, RejectBody, deps.bodyLimit);
  return ok({
    ...(await reviewAsUser(deps.db, deps.scope, {
      id,
      verb: 'reject',
      note: body.note ?? null,
      confirmation: { via: 'http', client: ctx.client!.name },
    })),
  });
}

export const tradingRoutes: Route[] = [
  { method: 'GET', path: '/status', auth: true, handle: status },
  { method: 'GET', path: '/proposals', auth: true, handle: proposals },
  { method: 'POST', path: '/proposals/:id/approve', auth: true, handle: approve },
  { method: 'POST', path: '/proposals/:id/reject', auth: true, handle: reject },
];
