import { TraderError } from '../../core/errors.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { brokerFor, liveBrokerFor } from '../broker-for.ts';
import type { LiveBroker } from '../live/live-broker.ts';
import { runGate } from '../engine/gate-check.ts';
import { recordFirstLiveApproval } from '../live-account/first-order.ts';
import { lastClosedPrice } from '../portfolio.ts';
import { type TradingScope, tradingTx } from '../scope.ts';
import { loadState } from '../state-repo.ts';
import { withLiveLease } from '../live/order-lease.ts';
import { decideProposal, getProposal, linkPosition, type Proposal, type ProposedOrder } from './proposals-repo.ts';

export type ReviewResult =
  | { status: 'approved'; proposal: Proposal; position_id: number; fill_reference: number }
  | { status: 'failed'; proposal: Proposal; reasons: string[] }
  | { status: 'rejected'; proposal: Proposal }
  | { status: 'expired'; proposal: Proposal };

/** Locks a proposal that can still be decided; anything else is a clear refusal. */
async function lockPending(tx: Queryable, scope: TradingScope, id: number): Promise<Proposal> {
  const p = await getProposal(tx, scope, id, { forUpdate: true });
  if (!p)
    throw new TraderError(
      'NOT_FOUND',
      `There is no proposal ${id} in ${scope.mode}; list them with \`trader proposals list\`.`,
    );
  if (p.status !== 'pending') {
    throw new TraderError(
      'BAD_INPUT',
      `Proposal ${id} was already ${p.status} at ${p.decided_at?.toISOString() ?? 'an earlier time'}; only pending proposals can be decided.`,
    );
  }
  return p;
}

/** The newest close of the proposal's market closed by now: the price an approval would fill near. */
async function currentPrice(tx: Queryable, o: ProposedOrder, now: Date): Promise<{ price: number; ts: Date }> {
  const last = await lastClosedPrice(tx, o, now);
  if (!last)
    throw new TraderError(
      'NOT_FOUND',
      `No cached ${o.timeframe} candle for ${o.symbol} on ${o.exchange} to price the approval; run \`trader run\` or \`trader data fetch\` first.`,
    );
  return last;
}

/** What the approval's transaction decided: an execution (paper), an order recorded for the exchange (LIVE), or a refusal. */
type Decided = ReviewResult | { status: 'sent'; proposal: Proposal; client_order_id: string; price: number };

/**
 * Approves a pending proposal: at approval time, not at proposal time, the order is
 * repriced at the newest close and re-checked by the risk gate against the state as it
 * is now; only then does the broker fill it. Concurrent approvals queue on the row
 * lock, so exactly one wins and the others are told it is already decided.
 * In LIVE the approval records the entry with the live broker in the same transaction and
 * sends it once that committed (just-in-time checks, market order, fills booked, stop and
 * targets placed on the exchange); the proposal then names the position, or fails with
 * the reason the entry did not fill.
 */
export async function approveProposal(
  db: Db,
  scope: TradingScope,
  id: number,
  now = new Date(),
  live?: LiveBroker,
  /** Where the live broker finds the exchange (its URL override); a server passes its own. */
  env?: NodeJS.ProcessEnv,
): Promise<ReviewResult> {
  const broker = scope.mode === 'LIVE' ? (live ?? (await liveBrokerFor(db, { env }))) : undefined;
  const decided: Decided = await tradingTx(db, scope, async (tx) => {
    const p = await lockPending(tx, scope, id);
    const { risk_profile } = await loadState(tx, scope);
    const audit = (status: 'APPROVED' | 'FAILURE', details: Record<string, unknown>) =>
      recordAudit(tx, {
        mode: scope.mode,
        actor: 'USER',
        action_type: 'TRADE_PROPOSAL_REVIEWED',
        status,
        risk_profile,
        details: { symbol: p.symbol, ...details },
        entity_type: 'proposal',
        entity_id: String(id),
      });
    if (p.expires_at <= now) {
      const expired = await decideProposal(tx, scope, id, 'expired', 'approval came after it expired');
      await audit('FAILURE', { reason: 'expired', expires_at: p.expires_at.toISOString() });
      return { status: 'expired', proposal: expired };
    }
    const { price, ts: as_of } = await currentPrice(tx, p.intent, now);
    const order: ProposedOrder = {
      ...p.intent,
      entry: price,
      notional: p.intent.qty * price,
      risk_amount: Math.abs(price - p.intent.stop) * p.intent.qty,
    };
    const { verdict } = await runGate(tx, scope, order, { asOf: as_of, approved: true });
    if (!verdict.ok) {
      const failed = await decideProposal(
        tx,
        scope,
        id,
        'failed',
        `refused by the risk gate: ${verdict.reasons.join('; ')}`,
      );
      await audit('FAILURE', { reason: 'risk gate', reasons: verdict.reasons, price });
      return { status: 'failed', proposal: failed, reasons: verdict.reasons };
    }
    /** The broker said no: the proposal failed, with its sentence. */
    const fail = async (message: string): Promise<ReviewResult> => {
      const failed = await decideProposal(tx, scope, id, 'failed', message);
      await audit('FAILURE', { reason: message, price });
      return { status: 'failed', proposal: failed, reasons: [message] };
    };
    const open = {
      ...order,
      strategy_id: p.strategy_id,
      strategy_version: p.strategy_version,
      source_module: p.source_module,
      run_id: p.run_id,
      proposal_id: id,
      as_of,
    };
    if (broker) {
      const queued = await broker.open(tx, open);
      if (!queued.ok) return fail(queued.message);
      const approved = await decideProposal(
        tx,
        scope,
        id,
        'approved',
        `order ${queued.client_order_id} sent to ${broker.exchange}`,
      );
      await audit('APPROVED', { price, client_order_id: queued.client_order_id });
      await recordFirstLiveApproval(tx, scope, { run_id: p.run_id, proposal_id: id });
      return { status: 'sent', proposal: approved, client_order_id: queued.client_order_id, price };
    }
    const opened = await brokerFor(scope).open(tx, open);
    if (!opened.ok) return fail(opened.message);
    const approved = await decideProposal(tx, scope, id, 'approved', null);
    await linkPosition(tx, scope, id, opened.position_id);
    await audit('APPROVED', { price, position_id: opened.position_id });
    return { status: 'approved', proposal: approved, position_id: opened.position_id, fill_reference: price };
  });
  if (decided.status !== 'sent') return decided;
  // 'sent' comes only from the live broker.
  const sent = await withLiveLease(db, decided.proposal.symbol, { label: `proposal ${id} approved`, env }, () =>
    broker!.send(db, decided.client_order_id, { approved: true }),
  );
  return tradingTx(db, scope, async (tx) => {
    if (sent.position_id === null) {
      const reason = sent.reason ?? 'the entry did not fill';
      const failed = await decideProposal(tx, scope, id, 'failed', `order ${decided.client_order_id}: ${reason}`);
      return { status: 'failed', proposal: failed, reasons: [reason] };
    }
    await linkPosition(tx, scope, id, sent.position_id);
    const proposal = (await getProposal(tx, scope, id))!;
    return { status: 'approved', proposal, position_id: sent.position_id, fill_reference: decided.price };
  });
}

export async function rejectProposal(
  db: Db,
  scope: TradingScope,
  id: number,
  note: string | null,
): Promise<ReviewResult> {
  return tradingTx(db, scope, async (tx) => {
    await lockPending(tx, scope, id);
    const { risk_profile } = await loadState(tx, scope);
    const rejected = await decideProposal(tx, scope, id, 'rejected', note);
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'USER',
      action_type: 'TRADE_PROPOSAL_REVIEWED',
      status: 'REJECTED',
      risk_profile,
      details: { symbol: rejected.symbol, note },
      entity_type: 'proposal',
      entity_id: String(id),
    });
    return { status: 'rejected', proposal: rejected };
  });
}
