import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { type TradingScope, tradingTx } from '../scope.ts';
import { loadState, updateState } from '../state-repo.ts';
import { schemaProblems } from '../../core/schema-problems.ts';

/** The paper fill model's costs, in basis points; the bounds are the state table's checks. */
export const PaperCosts = z
  .object({
    paper_fee_bps: z.number().min(0).max(100).optional().describe('fee per fill, basis points of the notional'),
    paper_slippage_bps: z
      .number()
      .min(0)
      .max(500)
      .optional()
      .describe('price slippage per fill, basis points (buys above, sells below)'),
  })
  .strict();
export type PaperCosts = z.infer<typeof PaperCosts>;

/** Where a change came from when not typed by hand: measured LIVE fills (`paper costs --from-parity`), with the sample. */
export interface CostsOrigin {
  source: 'parity';
  fills: number;
  from: string;
  to: string;
}

/**
 * Shows or changes the fees and slippage the paper broker charges from the next fill on
 * (past fills keep theirs). TEST only; every change is audited with the old values (and
 * its origin when it was measured).
 */
export async function paperCosts(
  db: Db,
  scope: TradingScope,
  change: PaperCosts,
  origin?: CostsOrigin,
): Promise<Required<PaperCosts>> {
  if (scope.mode !== 'TEST')
    throw new TraderError('CONFIG_INVALID', "Paper costs exist only in TEST mode; LIVE fills are the exchange's.");
  const parsed = PaperCosts.safeParse(change);
  if (!parsed.success)
    throw new TraderError('BAD_INPUT', `${schemaProblems('Paper costs out of bounds', parsed.error)}.`);
  return tradingTx(db, scope, async (tx) => {
    const before = await loadState(tx, scope, { forUpdate: true });
    const old = { paper_fee_bps: before.paper_fee_bps, paper_slippage_bps: before.paper_slippage_bps };
    if (parsed.data.paper_fee_bps === undefined && parsed.data.paper_slippage_bps === undefined) return old;
    const after = await updateState(tx, scope, parsed.data);
    const now = { paper_fee_bps: after.paper_fee_bps, paper_slippage_bps: after.paper_slippage_bps };
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'USER',
      action_type: 'PAPER_COSTS_CHANGED',
      status: 'SUCCESS',
      risk_profile: after.risk_profile,
      details: { old, new: now, ...(origin ?? {}) },
    });
    return now;
  });
}
