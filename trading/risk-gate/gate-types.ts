import type { z } from 'zod';
import type { Intent } from '../../sdk/context-schemas.ts';
import type { LiveCaps } from '../live-account/live-account-repo.ts';
import type { RiskProfile, TradingState } from '../state-repo.ts';

/** Why the gate is asked: to record an intent, to propose it to the user, or to trade it. */
export type GatePurpose = 'observe' | 'propose' | 'execute';

export interface OpenPositionRisk {
  symbol: string;
  category: string;
  /** Quote currency lost if this position's stop fills. */
  risk_amount: number;
}

/** Everything the gate looks at; it reads nothing else (no clock, no database). */
export interface GateInput {
  purpose: GatePurpose;
  /** A user approved this proposal (semi-auto execution). */
  approved: boolean;
  intent: z.infer<typeof Intent>;
  state: Pick<
    TradingState,
    'operational_mode' | 'risk_profile' | 'halted' | 'emergency' | 'leverage_enabled' | 'drawdown_pct'
  >;
  profile: RiskProfile;
  equity: number;
  /** The quote wallet's free balance, which must cover margin and fees at worst-case slippage (sdk entryCost). */
  free_balance: number;
  /** Taker fee as a fraction of notional (0.001 = 10 bps). */
  fee_rate: number;
  /** Worst-case adverse move from the intent's entry to its fill, as a fraction (0.0005 = 5 bps). */
  slippage_rate: number;
  /** The intent's instrument category (major, alt, ...), for the category cap. */
  category: string;
  open_positions: OpenPositionRisk[];
  /**
   * LIVE only: the account's notional caps and what today's entries used; null when LIVE
   * has no account (`trader live init` not run), which refuses every LIVE order. Unset in TEST.
   */
  live_caps?: LiveCaps | null;
  /**
   * The correlated-cluster rule's input, measured by the caller only when the profile turns
   * the rule on: the return correlation of every pair of the intent's market and the open
   * ones (analysis/return-correlation.ts pairKey), null when it could not be measured.
   */
  correlations?: { pairs: Record<string, number | null> };
}

export type GateRuleName =
  | 'not_halted'
  | 'mode_allows'
  | 'profile_matches'
  | 'stop_protective'
  | 'risk_per_trade'
  | 'max_open_positions'
  | 'one_position_per_symbol'
  | 'category_cap'
  | 'correlation_cluster'
  | 'drawdown'
  | 'leverage_permitted'
  | 'liquidation_after_stop'
  | 'margin'
  | 'live_notional_caps';

export interface GateCheck {
  rule: GateRuleName;
  ok: boolean;
  /** One plain sentence: what was compared with what. */
  detail: string;
}

/** A risk veto is a result, not an exception: every check, and the details of all that failed. */
export interface GateVerdict {
  ok: boolean;
  checks: GateCheck[];
  reasons: string[];
}
