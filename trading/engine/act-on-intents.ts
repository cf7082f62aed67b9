import { z } from 'zod';
import type { Intent } from '../../sdk/context-schemas.ts';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { brokerFor } from '../broker-for.ts';
import { insertProposal, type ProposedOrder } from '../proposals/proposals-repo.ts';
import type { TradingScope } from '../scope.ts';
import { gatePurpose, runGate } from './gate-check.ts';

export const IntentAction = z.object({
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: z.number(),
  action: z
    .enum(['observed', 'proposed', 'executed', 'rejected'])
    .describe('observed: recorded only (Observe); proposed: waits for approval (Semi-Auto); executed: filled by the broker (Full-Auto); rejected: refused by the risk gate or the broker'),
  reasons: z.array(z.string()).describe('why it was rejected'),
  proposal_id: z.number().int().optional().describe('set when proposed'),
  position_id: z.number().int().optional().describe('set when executed'),
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
    case 'executed':
      return `EXECUTED on paper: ${what}, position ${a.position_id}`;
    case 'rejected':
      return `REFUSED by the risk gate: ${a.reasons.join('; ')}`;
  }
}

export interface IntentSource {
  exchange: string;
  timeframe: string;
  category: string;
  run_id: string;
  strategy_id: string | null;
  as_of: Date;
}

export function orderFromIntent(i: z.infer<typeof Intent>, where: Pick<IntentSource, 'exchange' | 'timeframe' | 'category'>): ProposedOrder {
  return {
    exchange: where.exchange, timeframe: where.timeframe, category: where.category,
    symbol: i.symbol, side: i.side, qty: i.qty, entry: i.entry, stop: i.stop, take_profits: i.take_profits,
    leverage: i.leverage, risk_amount: i.risk_amount, risk_pct: i.risk_pct, notional: i.notional,
  };
}

/**
 * What the system does with a symbol's order intents, by operational mode, after the
 * risk gate re-checked each one against the live state: Observe records, Semi-Auto
 * proposes, Full-Auto executes. Every step is audited; nothing bypasses the gate.
 */
export async function actOnIntents(tx: Queryable, scope: TradingScope, intents: readonly z.infer<typeof Intent>[], src: IntentSource): Promise<IntentAction[]> {
  const actions: IntentAction[] = [];
  for (const intent of intents) {
    const order = orderFromIntent(intent, src);
    const { state, verdict } = await runGate(tx, scope, order, { asOf: src.as_of, approved: false });
    const purpose = gatePurpose(state.operational_mode);
    const base = { symbol: intent.symbol, side: intent.side, qty: intent.qty };
    const observe = purpose === 'observe' ? '_OBSERVE' : '';
    await recordAudit(tx, {
      mode: scope.mode, actor: 'SYSTEM', action_type: `RISK_CHECK_${verdict.ok ? 'PASS' : 'FAIL'}${observe}`, status: verdict.ok ? 'SUCCESS' : 'REJECTED',
      risk_profile: state.risk_profile, details: { run_id: src.run_id, order, reasons: verdict.reasons, source: intent.source ?? null }, entity_type: 'run', entity_id: src.run_id,
    });
    if (!verdict.ok) {
      actions.push({ ...base, action: 'rejected', reasons: verdict.reasons });
      continue;
    }
    if (purpose === 'observe') {
      actions.push({ ...base, action: 'observed', reasons: [] });
    } else if (purpose === 'propose') {
      const p = await insertProposal(tx, scope, { order, drawdown_pct: state.drawdown_pct, ttl_minutes: state.proposal_ttl_minutes, strategy_id: src.strategy_id, source_module: intent.source ?? null, run_id: src.run_id, as_of: src.as_of });
      await recordAudit(tx, {
        mode: scope.mode, actor: 'SYSTEM', action_type: 'TRADE_PROPOSAL_GENERATED', status: 'PENDING', risk_profile: state.risk_profile,
        details: { order, expires_at: p.expires_at.toISOString(), drawdown_pct: state.drawdown_pct }, entity_type: 'proposal', entity_id: String(p.proposal_id),
      });
      actions.push({ ...base, action: 'proposed', reasons: [], proposal_id: p.proposal_id });
    } else {
      const opened = await brokerFor(scope).open(tx, { ...order, strategy_id: src.strategy_id, source_module: intent.source ?? null, run_id: src.run_id, proposal_id: null, as_of: src.as_of });
      actions.push(opened.ok ? { ...base, action: 'executed', reasons: [], position_id: opened.position_id } : { ...base, action: 'rejected', reasons: [opened.message] });
    }
  }
  return actions;
}
