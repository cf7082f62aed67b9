import { z } from 'zod';
import { RunInfo } from '../sdk/context-schemas.ts';
import { queryRows, type Queryable } from '../store/db.ts';
import type { Db } from '../store/db.ts';
import { type TradingScope, tradingTx } from './scope.ts';

/** numeric columns arrive as strings from both drivers. */
const num = z.coerce.number();

/** The names are the run contract's (sdk RunInfo), so modules and trading state cannot drift apart. */
export const OperationalMode = RunInfo.shape.operational_mode;
export type OperationalMode = z.infer<typeof OperationalMode>;
export const RiskProfileName = RunInfo.shape.risk_profile;
export type RiskProfileName = z.infer<typeof RiskProfileName>;
export const HaltAction = z.enum(['HALT_ONLY', 'CANCEL_ORDERS_AND_HALT', 'MARKET_CLOSE_ALL_AND_HALT']);
export type HaltAction = z.infer<typeof HaltAction>;
/** The halt actions that do something on the exchange (LIVE carries them out after the halt commits). */
export const ExchangeHaltAction = HaltAction.exclude(['HALT_ONLY']);
export type ExchangeHaltAction = z.infer<typeof ExchangeHaltAction>;

/** One system mode's operating state (the single row of `<schema>.state`). */
export const TradingState = z.object({
  operational_mode: OperationalMode,
  risk_profile: RiskProfileName,
  leverage_enabled: z.boolean(),
  leverage_enabled_at: z.date().nullable(),
  halted: z.boolean(),
  emergency: z.boolean(),
  halt_reason: z.string().nullable(),
  halted_at: z.date().nullable(),
  emergency_halt_action: HaltAction,
  close_all_acknowledged_at: z.date().nullable(),
  /** LIVE: the emergency halt's exchange action not carried out yet (halt-on-exchange.ts). */
  halt_action_pending: ExchangeHaltAction.nullable(),
  /** Why the last attempt at it did not finish. */
  halt_action_problem: z.string().nullable(),
  quote_currency: z.string(),
  initial_balance: num,
  equity: num,
  peak_equity: num,
  drawdown_pct: num,
  equity_as_of: z.date().nullable(),
  paper_fee_bps: num,
  paper_slippage_bps: num,
  proposal_ttl_minutes: z.number().int(),
  /** LIVE: false skips the free-balance query of the just-in-time checks (never the risk gate). */
  require_jit_checks: z.boolean(),
  /** An optimiser's winner waits for approval (PROPOSED) instead of trading at once (ACTIVE). */
  require_strategy_approval: z.boolean(),
  /** How much recent live (in TEST: paper) performance weighs in a strategy's final score, 0..1. */
  live_performance_feedback_weight: num,
  updated_at: z.date(),
});
export type TradingState = z.infer<typeof TradingState>;

/** A risk profile's parameters (one row of `<schema>.risk_profiles`). */
export const RiskProfile = z.object({
  profile: RiskProfileName,
  risk_per_trade_pct: num,
  max_drawdown_pct: num,
  max_open_positions: z.number().int(),
  category_cap_pct: num,
  allow_leverage: z.boolean(),
  max_leverage: num,
  /** The correlated-cluster rule: the most risk one cluster of correlated markets may carry, % of equity; null = off. */
  cluster_cap_pct: num.nullable(),
  /** Markets whose return correlation is at least this are one cluster. */
  cluster_min_correlation: num,
  /** Days of returns the correlation is measured over. */
  cluster_window_days: z.number().int(),
});
export type RiskProfile = z.infer<typeof RiskProfile>;

/** The leverage the account may use now: the profile's maximum only when High allows it and it was activated. */
export function usableLeverage(
  state: Pick<TradingState, 'risk_profile' | 'leverage_enabled'>,
  profile: RiskProfile,
): number {
  return state.risk_profile === 'high' && profile.allow_leverage && state.leverage_enabled ? profile.max_leverage : 1;
}

export async function loadState(
  q: Queryable,
  scope: TradingScope,
  options: { forUpdate?: boolean } = {},
): Promise<TradingState> {
  const [row] = await queryRows(
    q,
    TradingState,
    `select * from ${scope.table('state')} where id = 1${options.forUpdate ? ' for update' : ''}`,
  );
  return row!;
}

/** The state in a transaction of its own, for a command that only reads it. */
export function currentState(db: Db, scope: TradingScope): Promise<TradingState> {
  return tradingTx(db, scope, (tx) => loadState(tx, scope));
}

export async function loadRiskProfile(
  q: Queryable,
  scope: TradingScope,
  profile: RiskProfileName,
): Promise<RiskProfile> {
  const [row] = await queryRows(q, RiskProfile, `select * from ${scope.table('risk_profiles')} where profile = $1`, [
    profile,
  ]);
  return row!;
}

export async function loadRiskProfiles(q: Queryable, scope: TradingScope): Promise<RiskProfile[]> {
  return queryRows(
    q,
    RiskProfile,
    `select * from ${scope.table('risk_profiles')} order by array_position(array['low','medium','high'], profile)`,
  );
}

/** Columns of the state row a command may change; the names are fixed here, never taken from input. */
const patchableKeys = [
  'operational_mode',
  'risk_profile',
  'leverage_enabled',
  'leverage_enabled_at',
  'halted',
  'emergency',
  'halt_reason',
  'halted_at',
  'emergency_halt_action',
  'close_all_acknowledged_at',
  'halt_action_pending',
  'halt_action_problem',
  'equity',
  'peak_equity',
  'drawdown_pct',
  'equity_as_of',
  'paper_fee_bps',
  'paper_slippage_bps',
  'proposal_ttl_minutes',
  'require_jit_checks',
  'require_strategy_approval',
  'live_performance_feedback_weight',
  'initial_balance',
] as const satisfies readonly (keyof TradingState)[];
export type StatePatch = Partial<Pick<TradingState, (typeof patchableKeys)[number]>>;
const patchable = new Set<string>(patchableKeys);

export async function updateState(q: Queryable, scope: TradingScope, patch: StatePatch): Promise<TradingState> {
  const entries = Object.entries(patch).filter(([k, v]) => v !== undefined && patchable.has(k));
  const sets = entries.map(([k], i) => `${k} = $${i + 1}`);
  const [row] = await queryRows(
    q,
    TradingState,
    `update ${scope.table('state')} set ${[...sets, 'updated_at = now()'].join(', ')} where id = 1 returning *`,
    entries.map(([, v]) => v),
  );
  return row!;
}
