import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { loadState } from '../../trading/state-repo.ts';
import { fillCosts } from './fill-orders.ts';
import { loadDecisions, loadFills, loadFingerprints, loadRuns } from './parity-load.ts';

/**
 * What `trader paper costs --from-parity` proposes: the fee and slippage that LIVE entry
 * fills of the window's runs actually cost (paper fills are the model itself, so they
 * cannot measure it), as paper costs in basis points within the paper table's bounds.
 */
export interface MeasuredCosts {
  fills: number;
  from: string;
  to: string;
  old: { paper_fee_bps: number; paper_slippage_bps: number };
  new: { paper_fee_bps: number; paper_slippage_bps: number };
}

const round = (n: number) => Math.round(n * 100) / 100;
const within = (n: number, max: number) => Math.min(max, Math.max(0, round(n)));

export async function measureCosts(db: Db, w: { from: Date; to: Date }): Promise<MeasuredCosts> {
  if (w.from.getTime() >= w.to.getTime()) throw new TraderError('BAD_INPUT', '--from must be before --to.');
  const test = tradingScope('TEST');
  const state = await tradingTx(db, test, (tx) => loadState(tx, test));
  const old = { paper_fee_bps: state.paper_fee_bps, paper_slippage_bps: state.paper_slippage_bps };
  const runs = await loadRuns(db, { ...w, pipelineId: null });
  const ids = runs.map((r) => r.run_id);
  const [decisions, prints, fills] = await Promise.all([
    loadDecisions(db, ids),
    loadFingerprints(db, ids),
    loadFills(db, ids),
  ]);
  const costs = fillCosts(fills, decisions, prints, {
    fee_rate: old.paper_fee_bps / 1e4,
    slippage_rate: old.paper_slippage_bps / 1e4,
  }).exchange;
  const from = w.from.toISOString();
  const to = w.to.toISOString();
  if (costs.length === 0)
    throw new TraderError(
      'NOT_FOUND',
      `No LIVE entry fills of runs decided from ${from} to ${to}: there is nothing to measure, so the paper costs are unchanged.`,
    );
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const fees = costs.flatMap((c) => (c.fee_bps === null ? [] : [c.fee_bps]));
  return {
    fills: costs.length,
    from,
    to,
    old,
    new: {
      // Fees paid in a third asset cannot be priced: with none priced, the fee stays as it is.
      paper_fee_bps: fees.length > 0 ? within(mean(fees), 100) : old.paper_fee_bps,
      paper_slippage_bps: within(mean(costs.map((c) => c.slippage_bps)), 500),
    },
  };
}
