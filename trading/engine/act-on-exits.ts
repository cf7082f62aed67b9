import { z } from 'zod';
import type { ExitRequest } from '../../sdk/context-schemas.ts';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { brokerFor } from '../broker-for.ts';
import { positionPrice } from '../portfolio.ts';
import { listOpenPositions } from '../positions-repo.ts';
import type { TradingScope } from '../scope.ts';
import { loadState } from '../state-repo.ts';

export const ExitAction = z.object({
  position_id: z.number().int(),
  symbol: z.string(),
  action: z
    .enum(['closed', 'sent', 'failed', 'recorded', 'not_open'])
    .describe(
      'closed: filled by the broker (Full-Auto); sent: LIVE Full-Auto, a market close goes to the exchange once the decision committed (then closed or failed); failed: the exchange did not complete it (the position stays open); recorded: left to you (Observe, Semi-Auto, LIVE with its keys locked); not_open: nothing to close',
    ),
  reason: z.string(),
  fill_price: z.number().optional(),
  /** Why a LIVE close did not complete, one sentence. */
  problem: z.string().optional(),
});
export type ExitAction = z.infer<typeof ExitAction>;

/**
 * What the system does with a module's requests to close an invalidated trade. Closing
 * only ever lowers risk, so it needs no risk check and is allowed while halted; but it is
 * still a trade, so only Full-Auto executes it: on paper at the newest close, with
 * slippage; in LIVE it is marked `sent` here and closed at market on the exchange by the
 * live broker once this transaction committed (sendExitCloses). In Observe and Semi-Auto
 * the request is recorded for you to act on (`trader paper close`, `trader live close`).
 */
export async function actOnExits(
  tx: Queryable,
  scope: TradingScope,
  requests: readonly z.infer<typeof ExitRequest>[],
  src: { run_id: string; as_of: Date; live: boolean },
): Promise<ExitAction[]> {
  const state = await loadState(tx, scope);
  const open = await listOpenPositions(tx, scope);
  const actions: ExitAction[] = [];
  for (const r of requests) {
    const position = open.find((p) => p.position_id === r.position_id);
    const base = { position_id: r.position_id, symbol: r.symbol, reason: r.reason };
    const last = position ? await positionPrice(tx, position, src.as_of) : null;
    const audit = (action_type: string, status: 'SUCCESS' | 'INFO', details: Record<string, unknown>) =>
      recordAudit(tx, {
        mode: scope.mode,
        actor: 'SYSTEM',
        action_type,
        status,
        risk_profile: state.risk_profile,
        details: { ...details, reason: r.reason, source: r.source ?? null, run_id: src.run_id },
        entity_type: 'position',
        entity_id: String(r.position_id),
      });
    // A LIVE close sells at the exchange's price; a paper one needs a cached close.
    if (!position || (!last && scope.mode !== 'LIVE')) {
      actions.push({ ...base, action: 'not_open' });
      continue;
    }
    if (state.operational_mode !== 'full_auto' || (scope.mode === 'LIVE' && !src.live)) {
      await audit('EXIT_REQUEST_RECORDED', 'INFO', { mode: state.operational_mode });
      actions.push({ ...base, action: 'recorded' });
      continue;
    }
    if (scope.mode === 'LIVE') {
      await audit('EXIT_REQUEST_SENT', 'INFO', { mode: state.operational_mode });
      actions.push({ ...base, action: 'sent' });
      continue;
    }
    const fill = await brokerFor(scope).close(tx, position.position_id, {
      price: last!.price,
      ts: last!.ts,
      kind: 'close',
      run_id: src.run_id,
    });
    await audit('EXIT_REQUEST_EXECUTED', 'SUCCESS', {
      fill_price: fill.price,
      qty: fill.qty,
      realized_pnl: fill.realized_pnl,
    });
    actions.push({ ...base, action: 'closed', fill_price: fill.price });
  }
  return actions;
}
