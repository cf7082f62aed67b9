import type { z } from 'zod';
import type { Intent } from '../sdk/context-schemas.ts';
import { entryCost } from '../sdk/entry-costs.ts';
import { checkIntent, type GateVerdict } from '../trading/risk-gate/gate.ts';
import { costRates, type PaperCosts } from '../trading/paper/fill-model.ts';
import type { RiskProfile } from '../trading/state-repo.ts';
import type { ReplayCorrelations } from './cluster-correlations.ts';
import type { PendingEntry, SimAccount } from './sim-account.ts';

/**
 * The cash a new entry may use: the wallet less what orders decided at this close and not
 * filled yet will take (margin and fee at worst-case slippage, the gate's own measure), so
 * two markets cannot both take the last of the cash. Modules see it as portfolio.free_balance
 * and the gate checks against it: what a sizer sizes to fit, the gate accepts.
 */
export function freeCash(account: SimAccount, pending: readonly (PendingEntry | null)[], costs: PaperCosts): number {
  const rates = costRates(costs);
  let reserved = 0;
  for (const p of pending) if (p) reserved += entryCost(p.qty, p.entry, p.leverage, rates);
  return Math.max(0, account.cash - reserved);
}

/**
 * The live risk gate (trading/risk-gate/), asked about a backtest intent with the
 * simulated account's state: Full-Auto execution, the profile's limits, the halt, the
 * drawdown. Orders decided at the same close and not filled yet count as open, and their
 * cost as spent (freeCash). With the correlated-cluster rule on, the pairs of the intent's
 * market and those positions are measured as of this close, as a live check measures them.
 */
export function gateIntent(o: {
  intent: z.infer<typeof Intent>;
  category: string;
  profile: RiskProfile;
  halted: boolean;
  leverage: number;
  drawdownPct: number;
  equity: number;
  account: SimAccount;
  pending: readonly (PendingEntry | null)[];
  costs: PaperCosts;
  /** Null when the profile leaves the cluster rule off. */
  correlations: ReplayCorrelations | null;
  /** The decision's close time. */
  asOfMs: number;
}): GateVerdict {
  const waiting = o.pending.filter((p): p is PendingEntry => p !== null);
  const open_positions = [
    ...o.account.open.map((p) => ({
      symbol: p.order.symbol,
      category: p.order.category,
      risk_amount: p.order.risk_amount,
    })),
    ...waiting.map((p) => ({ symbol: p.symbol, category: p.category, risk_amount: p.risk_amount })),
  ];
  return checkIntent({
    purpose: 'execute',
    approved: false,
    intent: o.intent,
    state: {
      operational_mode: 'full_auto',
      risk_profile: o.profile.profile,
      halted: o.halted,
      emergency: o.halted,
      leverage_enabled: o.leverage > 1,
      drawdown_pct: o.drawdownPct,
    },
    profile: o.profile,
    equity: o.equity,
    free_balance: freeCash(o.account, o.pending, o.costs),
    ...costRates(o.costs),
    category: o.category,
    open_positions,
    ...(o.correlations
      ? { correlations: o.correlations.pairsAt(o.asOfMs, [o.intent.symbol, ...open_positions.map((p) => p.symbol)]) }
      : {}),
  });
}
