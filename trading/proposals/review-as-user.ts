import { isTraderError, TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { auditUserAction, confirmOrRefuse, type Ask } from '../governance/user-action.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import { loadState } from '../state-repo.ts';
import { getProposal, type Proposal } from './proposals-repo.ts';
import { approveProposal, rejectProposal, type ReviewResult } from './review-proposal.ts';

/**
 * A user's review of a proposal, written once for every adapter (CLI, HTTP, dashboard):
 * find it, have it confirmed, approve or reject it, and say in one sentence what went
 * wrong. Every refusal is audited TRADE_PROPOSAL_REVIEW_REFUSED, naming how the user came.
 */

/**
 * How the user confirmed: asked on a terminal (a decline is audited), the authenticated
 * API request itself, or the dashboard's confirmation form, sent after reading the proposal.
 */
export type ReviewConfirmation =
  { via: 'cli'; ask: Pick<Ask, 'confirm'> } | { via: 'http' | 'dashboard'; client: string };

export interface UserReview {
  id: number;
  verb: 'approve' | 'reject';
  note: string | null;
  confirmation: ReviewConfirmation;
  now?: Date;
  /** Runs after the confirmation, before an approval executes (the CLI opens a LIVE account's keys with the PIN). */
  beforeApprove?: () => Promise<void>;
  /** The environment a LIVE approval reaches the exchange with (default: the process's). */
  env?: NodeJS.ProcessEnv;
}

export type ReviewDone = Extract<ReviewResult, { status: 'approved' | 'rejected' }>;

const n = (x: number) => String(Number(x.toPrecision(10)));

export function parseProposalId(raw: string): number {
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id < 1)
    throw new TraderError('BAD_INPUT', `A proposal id is a positive whole number, not ${quote(raw)}.`);
  return id;
}

/** One line a reviewer reads before confirming. */
export function describeProposal(p: Proposal): string {
  const quoteAsset = p.symbol.split('/')[1];
  const lev = p.leverage > 1 ? `  LEVERAGE ${n(p.leverage)}x` : '';
  return `#${p.proposal_id} ${p.status.toUpperCase().padEnd(8)} ${p.side} ${n(p.qty)} ${p.symbol} at ~${n(p.entry)}, stop ${n(p.stop)}, risk ${p.risk_pct.toFixed(2)}% (${n(p.intent.risk_amount)} ${quoteAsset})${lev}; by ${p.source_module ?? '?'}${p.strategy_id ? ` (${p.strategy_id})` : ''}; drawdown ${p.drawdown_pct.toFixed(2)}%; ${p.status === 'pending' ? `expires ${p.expires_at.toISOString()}` : (p.decision_note ?? '')}`;
}

/** An expired proposal or one the risk gate refused at approval is an error; otherwise what was done. */
function settled(r: ReviewResult): ReviewDone {
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
  return r;
}

export async function reviewAsUser(db: Db, scope: TradingScope, r: UserReview): Promise<ReviewDone> {
  const c = r.confirmation;
  const who = c.via === 'cli' ? { via: c.via } : { via: c.via, client: c.client };
  const refused = async (e: unknown): Promise<never> => {
    if (isTraderError(e))
      await tradingTx(db, scope, (tx) =>
        recordAudit(tx, {
          mode: scope.mode,
          actor: 'USER',
          action_type: 'TRADE_PROPOSAL_REVIEW_REFUSED',
          status: 'FAILURE',
          details: { verb: r.verb, reason: e.message, ...who },
          entity_type: 'proposal',
          entity_id: String(r.id),
        }),
      );
    throw e;
  };
  const { p, state } = await tradingTx(db, scope, async (tx) => ({
    p: await getProposal(tx, scope, r.id),
    state: await loadState(tx, scope),
  }));
  if (!p)
    return refused(
      new TraderError(
        'NOT_FOUND',
        `There is no proposal ${r.id} in ${scope.mode}; \`trader proposals list\` (GET /proposals) shows them.`,
      ),
    );
  const audit = { action_type: 'TRADE_PROPOSAL_REVIEW', details: { verb: r.verb, proposal_id: r.id } };
  if (c.via === 'cli')
    await confirmOrRefuse(
      db,
      scope,
      state.risk_profile,
      c.ask,
      `${describeProposal(p)}\n${r.verb === 'approve' ? 'Approve and execute' : 'Reject'} proposal ${r.id}?`,
      audit,
      new TraderError('BAD_INPUT', `You did not confirm; proposal ${r.id} is still pending.`),
    );
  else
    await tradingTx(db, scope, (tx) =>
      auditUserAction(tx, scope, state.risk_profile, audit.action_type, 'SUCCESS', {
        ...audit.details,
        confirmation: c.via === 'http' ? 'http_request' : 'dashboard_form',
        client: c.client,
      }),
    );
  const run = async () => {
    if (r.verb === 'reject') return rejectProposal(db, scope, r.id, r.note);
    await r.beforeApprove?.();
    return approveProposal(db, scope, r.id, r.now ?? new Date(), undefined, r.env);
  };
  return settled(await run().catch(refused));
}
