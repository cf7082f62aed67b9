import { clusterCorrelationsAsOf } from '../../analysis/stored-returns.ts';
import type { Queryable } from '../../store/db.ts';
import { loadLiveCaps } from '../live-account/live-account-repo.ts';
import { costRates, paperCosts } from '../paper/fill-model.ts';
import { portfolioSnapshot } from '../portfolio.ts';
import type { ProposedOrder } from '../proposals/proposals-repo.ts';
import { checkIntent, type GateVerdict } from '../risk-gate/gate.ts';
import type { TradingScope } from '../scope.ts';
import { loadRiskProfile, loadState, type OperationalMode, type TradingState } from '../state-repo.ts';

/** What the gate is asked: Observe only records, Semi-Auto proposes, Full-Auto executes. */
export function gatePurpose(mode: OperationalMode): 'observe' | 'propose' | 'execute' {
  return ({ observe: 'observe', semi_auto: 'propose', full_auto: 'execute' } as const)[mode];
}

/**
 * Re-checks one order against the state as it is now in this transaction: the active
 * profile, halt, equity, free balance and open positions, whatever the modules computed.
 * `approved` marks a user's approval of a proposal, which executes in Semi-Auto.
 */
export async function runGate(
  tx: Queryable,
  scope: TradingScope,
  order: ProposedOrder,
  o: {
    asOf: Date;
    approved: boolean;
    /** LIVE just before a submit: the exchange's free balance (null: the recorded one) and costs, not the paper account's. */
    live?: { free_balance: number | null; fee_rate: number; slippage_rate: number };
  },
): Promise<{ state: TradingState; verdict: GateVerdict }> {
  const state = await loadState(tx, scope);
  const profile = await loadRiskProfile(tx, scope, state.risk_profile);
  const snapshot = await portfolioSnapshot(tx, scope, o.asOf);
  // The correlated-cluster rule's input, measured on stored candles as of the decision, only when the profile turns it on.
  const correlations =
    profile.cluster_cap_pct === null
      ? undefined
      : await clusterCorrelationsAsOf(tx, {
          exchange: order.exchange,
          timeframe: order.timeframe,
          symbols: [order.symbol, ...snapshot.positions.map((p) => p.symbol)],
          asOf: o.asOf,
          windowDays: profile.cluster_window_days,
        });
  const verdict = checkIntent({
    purpose: o.approved ? 'execute' : gatePurpose(state.operational_mode),
    approved: o.approved,
    intent: { ...order, source: undefined },
    state,
    profile,
    equity: snapshot.equity,
    free_balance: o.live?.free_balance ?? snapshot.free_balance,
    ...(o.live ? { fee_rate: o.live.fee_rate, slippage_rate: o.live.slippage_rate } : costRates(paperCosts(state))),
    category: order.category,
    open_positions: snapshot.positions.map((p) => ({
      symbol: p.symbol,
      category: p.category,
      risk_amount: p.risk_amount,
    })),
    ...(correlations ? { correlations } : {}),
    ...(scope.mode === 'LIVE' ? { live_caps: (await loadLiveCaps(tx, o.asOf)) ?? null } : {}),
  });
  return { state, verdict };
}
