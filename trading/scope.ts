import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import type { Db, Queryable } from '../store/db.ts';
import { quote } from '../core/quote.ts';

/** TEST trades on paper; LIVE is real money. Chosen per process, never per command. */
export const SystemMode = z.enum(['TEST', 'LIVE']);
export type SystemMode = z.infer<typeof SystemMode>;

/** The tables that exist once per system mode (supabase/migrations/20261122030000_trading_state.sql, 20261203150000_live_orders.sql, 20261204170000_strategy_optimiser.sql, 20261204190000_strategy_health.sql, 20261204200000_strategy_attribution.sql, 20261207100000_live_workers.sql). */
export type TradingTable =
  | 'state'
  | 'risk_profiles'
  | 'wallets'
  | 'positions'
  | 'trades'
  | 'proposals'
  | 'orders'
  | 'order_fills'
  | 'strategy_status'
  | 'strategy_health'
  | 'market_strategy'
  | 'equity_history'
  | 'order_leases';

/**
 * Where one system mode's state lives and the database role that may touch it. The
 * role is what makes the separation hold: trader_test has no privilege on
 * trading_live, so a TEST process cannot write LIVE rows even through a bug.
 */
export interface TradingScope {
  readonly mode: SystemMode;
  readonly schema: 'trading_test' | 'trading_live';
  readonly role: 'trader_test' | 'trader_live';
  /** The schema-qualified name of one of this mode's tables. */
  table(name: TradingTable): string;
}

export function tradingScope(mode: SystemMode): TradingScope {
  const schema = mode === 'TEST' ? 'trading_test' : 'trading_live';
  return { mode, schema, role: mode === 'TEST' ? 'trader_test' : 'trader_live', table: (name) => `${schema}.${name}` };
}

export function parseSystemModeEnv(env: NodeJS.ProcessEnv) {
  return SystemMode.safeParse(env.TRADER_SYSTEM_MODE?.trim().toUpperCase() || 'TEST');
}

/** The process's system mode: `TRADER_SYSTEM_MODE` (TEST unless it says LIVE). */
export function systemModeFromEnv(env: NodeJS.ProcessEnv = process.env): SystemMode {
  const parsed = parseSystemModeEnv(env);
  if (!parsed.success)
    throw new TraderError(
      'BAD_INPUT',
      `TRADER_SYSTEM_MODE is ${quote(env.TRADER_SYSTEM_MODE)}; set it to TEST (paper trading, the default) or LIVE.`,
    );
  return parsed.data;
}

/**
 * Runs `fn` in one transaction as the scope's role. Every read and write of trading
 * state goes through here, so the database refuses anything outside the scope.
 */
export function tradingTx<T>(db: Db, scope: TradingScope, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await assumeTradingRole(tx, scope);
    return fn(tx);
  });
}

/**
 * Drops the rest of an open transaction to the scope's role, for a transaction that
 * first writes run logs as the owner and then acts on trading state, all or nothing.
 * There is no way back to the owner inside that transaction.
 */
export async function assumeTradingRole(tx: Queryable, scope: TradingScope): Promise<void> {
  await tx.exec(`set local role ${scope.role}`);
}
