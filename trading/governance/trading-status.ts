import { z } from 'zod';
import { listStrategyHealth, StrategyHealth } from '../strategies/strategy-health.ts';
import { listVersions } from '../strategies/strategy-versions.ts';
import { type Db, queryRows } from '../../store/db.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import {
  ExchangeHaltAction,
  HaltAction,
  loadRiskProfile,
  loadState,
  OperationalMode,
  RiskProfile,
} from '../state-repo.ts';

/** Everything `trader status` shows, read in one transaction so the numbers agree with each other. */
export const TradingStatus = z.object({
  system_mode: z.enum(['TEST', 'LIVE']),
  operational_mode: OperationalMode,
  risk_profile: RiskProfile,
  leverage: z.object({ enabled: z.boolean(), enabled_at: z.date().nullable(), max_leverage: z.number() }),
  halt: z.object({
    halted: z.boolean(),
    emergency: z.boolean(),
    reason: z.string().nullable(),
    halted_at: z.date().nullable(),
    action: HaltAction,
    close_all_acknowledged_at: z.date().nullable(),
    /** LIVE: the emergency halt's exchange action not carried out yet, and why the last attempt stopped. */
    action_pending: ExchangeHaltAction.nullable(),
    action_problem: z.string().nullable(),
  }),
  equity: z.object({
    quote_currency: z.string(),
    equity: z.number(),
    peak_equity: z.number(),
    drawdown_pct: z.number(),
    drawdown_limit_pct: z.number(),
    as_of: z.date().nullable(),
  }),
  /** Free cash in the quote currency; null while LIVE has no reconciled balance. */
  wallet_balance: z.number().nullable(),
  open_positions: z.number().int(),
  pending_proposals: z.number().int(),
  /** Strategies switched off after their modules kept failing (strategy-health.ts). */
  disabled_strategies: z.array(StrategyHealth),
  /** Strategy versions an optimiser study proposed, waiting for approval. */
  strategy_proposals: z.number().int(),
});
export type TradingStatus = z.infer<typeof TradingStatus>;

const Counts = z.object({
  balance: z.union([z.null(), z.coerce.number()]),
  open_positions: z.coerce.number().int(),
  pending_proposals: z.coerce.number().int(),
});

export function loadTradingStatus(db: Db, scope: TradingScope): Promise<TradingStatus> {
  return tradingTx(db, scope, async (tx) => {
    const state = await loadState(tx, scope);
    const profile = await loadRiskProfile(tx, scope, state.risk_profile);
    // Leverage is a high-profile setting: its ceiling is the high profile's, whatever profile is active.
    const high = state.risk_profile === 'high' ? profile : await loadRiskProfile(tx, scope, 'high');
    const [counts] = await queryRows(
      tx,
      Counts,
      `select (select balance from ${scope.table('wallets')} where asset = $1) as balance,
              (select count(*) from ${scope.table('positions')} where status = 'open') as open_positions,
              (select count(*) from ${scope.table('proposals')} where status = 'pending') as pending_proposals`,
      [state.quote_currency],
    );
    return TradingStatus.parse({
      system_mode: scope.mode,
      operational_mode: state.operational_mode,
      risk_profile: profile,
      leverage: {
        enabled: state.leverage_enabled,
        enabled_at: state.leverage_enabled_at,
        max_leverage: high.max_leverage,
      },
      halt: {
        halted: state.halted,
        emergency: state.emergency,
        reason: state.halt_reason,
        halted_at: state.halted_at,
        action: state.emergency_halt_action,
        close_all_acknowledged_at: state.close_all_acknowledged_at,
        action_pending: state.halt_action_pending,
        action_problem: state.halt_action_problem,
      },
      equity: {
        quote_currency: state.quote_currency,
        equity: state.equity,
        peak_equity: state.peak_equity,
        drawdown_pct: state.drawdown_pct,
        drawdown_limit_pct: profile.max_drawdown_pct,
        as_of: state.equity_as_of,
      },
      wallet_balance: counts!.balance,
      open_positions: counts!.open_positions,
      pending_proposals: counts!.pending_proposals,
      disabled_strategies: (await listStrategyHealth(tx, scope)).filter((h) => h.disabled_at !== null),
      strategy_proposals: (await listVersions(tx, scope, { status: 'PROPOSED' })).length,
    });
  });
}
