import { z } from 'zod';
import type { Intent } from '../../sdk/context-schemas.ts';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { OpenOrder } from '../broker.ts';
import { brokerFor } from '../broker-for.ts';
import type { LiveBroker } from '../live/live-broker.ts';
import { firstLiveOrderPending } from '../live-account/first-order.ts';
import { insertProposal, type ProposedOrder } from '../proposals/proposals-repo.ts';
import type { TradingScope } from '../scope.ts';
import type { TradingState } from '../state-repo.ts';
import { gatePurpose, runGate } from './gate-check.ts';

export const IntentAction = z.object({
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: z.number(),
  action: z
    .enum(['observed', 'proposed', 'sent', 'executed', 'rejected'])
    .describe(
      'observed: recorded only (Observe); proposed: waits for approval (Semi-Auto, and in LIVE the first order of each pipeline even in Full-Auto); sent: a LIVE entry recorded, sent to the exchange once the decision is committed (then executed or rejected); executed: filled by the broker (Full-Auto); rejected: refused by the risk gate, the just-in-time checks or the broker, or not proposed because a proposal for the same market and side is still pending',
    ),
  reasons: z.array(z.string()).describe('why it was rejected'),
  proposal_id: z
    .number()
    .int()
    .optional()
    .describe('set when proposed; when rejected, the pending proposal for the same market and side that refused it'),
  position_id: z.number().int().optional().describe('set when executed'),
  client_order_id: z.string().optional().describe('LIVE: the entry order sent to the exchange'),
});
export type IntentAction = z.infer<typeof IntentAction>;

/** One line for the run trace: what the system did with an intent, and why. */
export function describeAction(a: IntentAction, mode: string): string {
  const what = `${a.side} ${a.qty} ${a.symbol}`;
  switch (a.action) {
    case 'observed':
      return `OBSERVED (${mode}, observe mode records only): ${what} passed the risk gate`;
    case 'proposed':
      return `PROPOSED #${a.proposal_id}: ${what} waits for \`trader proposals approve ${a.proposal_id}\``;
    case 'sent':
      return `SENT to the exchange: ${what}, order ${a.client_order_id}`;
    case 'executed':
      return `EXECUTED ${mode === 'LIVE' ? 'on the exchange' : 'on paper'}: ${what}, position ${a.position_id}`;
    case 'rejected':
      return a.proposal_id === undefined
        ? `REFUSED by the risk gate: ${a.reasons.join('; ')}`
        : `NOT PROPOSED AGAIN: ${a.reasons.join('; ')}`;
  }
}

export interface IntentSource {
  exchange: string;
  timeframe: string;
  category: string;
  run_id: string;
  strategy_id: string | null;
  /** The strategy's active version whose parameters decided (absent: its rows as configured). */
  strategy_version: number | null;
  as_of: Date;
  /** LIVE: where entries go (recorded here, sent after the decision committed); absent in TEST. */
  live_broker?: LiveBroker;
}

/**
 * Semi-Auto: a pending proposal, or a refusal naming the one already waiting for this
 * market and side. Refusing (rather than replacing it) keeps what you review unchanged
 * under you: the waiting proposal is repriced and re-checked when you approve it anyway.
 */
async function propose(
  tx: Queryable,
  scope: TradingScope,
  o: { order: ProposedOrder; intent: z.infer<typeof Intent>; state: TradingState; src: IntentSource },
): Promise<IntentAction> {
  const { order, intent, state, src } = o;
  const base = { symbol: intent.symbol, side: intent.side, qty: intent.qty };
  const r = await insertProposal(tx, scope, {
    order,
    drawdown_pct: state.drawdown_pct,
    ttl_minutes: state.proposal_ttl_minutes,
    strategy_id: src.strategy_id,
    strategy_version: src.strategy_version,
    source_module: intent.source ?? null,
    run_id: src.run_id,
    as_of: src.as_of,
  });
  const p = 'created' in r ? r.created : r.waiting;
  const created = 'created' in r;
  const reason = `proposal #${p.proposal_id} for ${order.side} ${order.symbol} is still pending (until ${p.expires_at.toISOString()}): approve or reject it first, one pending proposal per market and side`;
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: created ? 'TRADE_PROPOSAL_GENERATED' : 'TRADE_PROPOSAL_REFUSED',
    status: created ? 'PENDING' : 'REJECTED',
    risk_profile: state.risk_profile,
    details: created
      ? { order, expires_at: p.expires_at.toISOString(), drawdown_pct: state.drawdown_pct }
      : { order, reason, run_id: src.run_id },
    entity_type: 'proposal',
    entity_id: String(p.proposal_id),
  });
  return created
    ? { ...base, action: 'proposed', reasons: [], proposal_id: p.proposal_id }
    : { ...base, action: 'rejected', reasons: [reason], proposal_id: p.proposal_id };
}

/**
 * Full-Auto in LIVE, before the pipeline's first approved live order: the order becomes a
 * proposal (live-account/first-order.ts), audited as LIVE_FIRST_ORDER_HELD.
 */
async function holdFirstLiveOrder(
  tx: Queryable,
  scope: TradingScope,
  o: { order: ProposedOrder; intent: z.infer<typeof Intent>; state: TradingState; src: IntentSource },
): Promise<IntentAction> {
  const action = await propose(tx, scope, o);
  await recordAudit(tx, {
    mode: scope.mode,
    actor: 'SYSTEM',
    action_type: 'LIVE_FIRST_ORDER_HELD',
    status: 'PENDING',
    risk_profile: o.state.risk_profile,
    details: { run_id: o.src.run_id, order: o.order, proposal_id: action.proposal_id ?? null },
    entity_type: 'run',
    entity_id: o.src.run_id,
  });
  return action;
}

/** LIVE Full-Auto: the entry is recorded in this transaction and sent once it committed (live-broker.ts). */
async function queueLive(
  tx: Queryable,
  broker: LiveBroker | undefined,
  order: OpenOrder,
  base: Pick<IntentAction, 'symbol' | 'side' | 'qty'>,
): Promise<IntentAction> {
  if (!broker)
    return { ...base, action: 'rejected', reasons: ['no live broker in this process: the LIVE keys are not unlocked'] };
  const queued = await broker.open(tx, order);
  return queued.ok
    ? { ...base, action: 'sent', reasons: [], client_order_id: queued.client_order_id }
    : { ...base, action: 'rejected', reasons: [queued.message] };
}

export function orderFromIntent(
  i: z.infer<typeof Intent>,
  where: Pick<IntentSource, 'exchange' | 'timeframe' | 'category'>,
): ProposedOrder {
  return {
    exchange: where.exchange,
    timeframe: where.timeframe,
    category: where.category,
    symbol: i.symbol,
    side: i.side,
    qty: i.qty,
    entry: i.entry,
    stop: i.stop,
    take_profits: i.take_profits,
    leverage: i.leverage,
    risk_amount: i.risk_amount,
    risk_pct: i.risk_pct,
    notional: i.notional,
    breakeven_after_tp: i.breakeven_after_tp ?? null,
    time_stop_bars: i.time_stop_bars ?? null,
  };
}

/**
 * What the system does with a symbol's order intents, by operational mode, after the
 * risk gate re-checked each one against the live state: Observe records, Semi-Auto
 * proposes, Full-Auto executes. Every step is audited; nothing bypasses the gate.
 */
export async function actOnIntents(
  tx: Queryable,
  scope: TradingScope,
  intents: readonly z.infer<typeof Intent>[],
  src: IntentSource,
): Promise<IntentAction[]> {
  const actions: IntentAction[] = [];
  for (const intent of intents) {
    const order = orderFromIntent(intent, src);
    const { state, verdict } = await runGate(tx, scope, order, { asOf: src.as_of, approved: false });
    const purpose = gatePurpose(state.operational_mode);
    const base = { symbol: intent.symbol, side: intent.side, qty: intent.qty };
    const observe = purpose === 'observe' ? '_OBSERVE' : '';
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'SYSTEM',
      action_type: `RISK_CHECK_${verdict.ok ? 'PASS' : 'FAIL'}${observe}`,
      status: verdict.ok ? 'SUCCESS' : 'REJECTED',
      risk_profile: state.risk_profile,
      details: { run_id: src.run_id, order, reasons: verdict.reasons, source: intent.source ?? null },
      entity_type: 'run',
      entity_id: src.run_id,
    });
    if (!verdict.ok) {
      actions.push({ ...base, action: 'rejected', reasons: verdict.reasons });
      continue;
    }
    if (purpose === 'observe') {
      actions.push({ ...base, action: 'observed', reasons: [] });
    } else if (purpose === 'propose') {
      actions.push(await propose(tx, scope, { order, intent, state, src }));
    } else if (await firstLiveOrderPending(tx, scope, src.run_id)) {
      actions.push(await holdFirstLiveOrder(tx, scope, { order, intent, state, src }));
    } else {
      const open = {
        ...order,
        strategy_id: src.strategy_id,
        strategy_version: src.strategy_version,
        source_module: intent.source ?? null,
        run_id: src.run_id,
        proposal_id: null,
        as_of: src.as_of,
      };
      if (scope.mode === 'LIVE') {
        actions.push(await queueLive(tx, src.live_broker, open, base));
        continue;
      }
      const opened = await brokerFor(scope).open(tx, open);
      actions.push(
        opened.ok
          ? { ...base, action: 'executed', reasons: [], position_id: opened.position_id }
          : { ...base, action: 'rejected', reasons: [opened.message] },
      );
    }
  }
  return actions;
}
