import { z } from 'zod';
import { sameAmount } from '../../trading/live/reconcile/compare.ts';

/**
 * The figures `npm run demo:live` reports, computed from the records as they stand at the
 * end of the session: the exchange's (the simulator's orders, trades, balances and request
 * log) and the database's (read through `trader db sql --json`). Nothing here is asserted:
 * a bug anywhere in the live path shows as a figure that fails `verdict`.
 */

const qty = z.number().nonnegative();

export const ExchangeRecords = z.object({
  orders: z.array(
    z.object({
      clientOrderId: z.string(),
      symbol: z.string(),
      side: z.enum(['BUY', 'SELL']),
      type: z.string(),
      status: z.string(),
      origQty: qty,
      executedQty: qty,
      origin: z.enum(['api', 'website']),
    }),
  ),
  trades: z.array(z.object({ symbol: z.string(), commission: qty, commissionAsset: z.string() })),
  /** free and locked per asset */
  balances: z.record(z.string(), z.object({ free: qty, locked: qty })),
  /** How many order requests (POST /api/v3/order, OCO legs) carried each client order id. */
  posts: z.record(z.string(), z.number().int().nonnegative()),
  /** Each market's step size: a remainder below one step cannot be sold, so it needs no stop. */
  step_sizes: z.record(z.string(), z.number().positive()),
});
export type ExchangeRecords = z.infer<typeof ExchangeRecords>;

export const DatabaseRecords = z.object({
  orders: z.array(
    z.object({
      client_order_id: z.string(),
      symbol: z.string(),
      role: z.enum(['entry', 'stop', 'take_profit', 'close']),
      state: z.string(),
    }),
  ),
  fills: z.number().int().nonnegative(),
  open_positions: z.array(z.object({ position_id: z.number().int(), symbol: z.string(), open_qty: qty })),
  /** trading_live.wallets: the balance per asset the database holds */
  wallets: z.record(z.string(), z.number()),
  differences: z.array(z.object({ kind: z.string(), explained: z.boolean() })),
});
export type DatabaseRecords = z.infer<typeof DatabaseRecords>;

const stopTypes = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT']);
const openStatuses = new Set(['NEW', 'PARTIALLY_FILLED']);

const countBy = <T>(rows: readonly T[], key: (r: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
};

/**
 * Client order ids that break "one intent, one exchange order": posted more than once,
 * carried by more than one exchange order, or an order of trader's (sent through the API)
 * that the database has no record of, which can only be a second order for some intent.
 */
export function duplicateOrders(ex: ExchangeRecords, db: DatabaseRecords): string[] {
  const api = ex.orders.filter((o) => o.origin === 'api');
  const known = new Set(db.orders.map((o) => o.client_order_id));
  const perId = countBy(api, (o) => o.clientOrderId);
  const bad = new Set<string>();
  for (const [id, n] of Object.entries(ex.posts)) if (n > 1) bad.add(id);
  for (const [id, n] of Object.entries(perId)) if (n > 1 || !known.has(id)) bad.add(id);
  return [...bad].sort();
}

/**
 * Open positions whose sellable quantity is not under a stop resting on the exchange: the
 * quantity left by trader's open stop orders in that market must cover the position's
 * open quantity, but for a remainder below one step (dust the exchange would refuse).
 */
export function unprotectedPositions(ex: ExchangeRecords, db: DatabaseRecords): number[] {
  return db.open_positions
    .filter((p) => {
      const covered = ex.orders
        .filter(
          (o) =>
            o.origin === 'api' &&
            o.symbol === p.symbol &&
            o.side === 'SELL' &&
            stopTypes.has(o.type) &&
            openStatuses.has(o.status),
        )
        .reduce((sum, o) => sum + (o.origQty - o.executedQty), 0);
      const uncovered = p.open_qty - covered;
      return uncovered > 1e-12 && uncovered >= (ex.step_sizes[p.symbol] ?? 0) - 1e-12;
    })
    .map((p) => p.position_id);
}

/** Each asset's exchange total (free + locked) beside the database's wallet, equal to reconciliation's 8 decimals. */
export function balanceComparison(ex: ExchangeRecords, db: DatabaseRecords) {
  const assets = [...new Set([...Object.keys(ex.balances), ...Object.keys(db.wallets)])].sort();
  const rows = assets.map((asset) => {
    const b = ex.balances[asset];
    const exchange = b ? Number((b.free + b.locked).toFixed(8)) : 0;
    const database = db.wallets[asset] ?? 0;
    return { asset, exchange, database, match: sameAmount(exchange, database) };
  });
  return { rows, match: rows.every((r) => r.match) };
}

export function summarize(exchange: ExchangeRecords, database: DatabaseRecords) {
  const ex = ExchangeRecords.parse(exchange);
  const db = DatabaseRecords.parse(database);
  const protective = db.orders.filter((o) => o.role === 'stop' || o.role === 'take_profit');
  const fees: Record<string, number> = {};
  for (const t of ex.trades)
    fees[t.commissionAsset] = Number(((fees[t.commissionAsset] ?? 0) + t.commission).toFixed(8));
  const duplicates = duplicateOrders(ex, db);
  const unprotected = unprotectedPositions(ex, db);
  const balances = balanceComparison(ex, db);
  return {
    orders: {
      on_exchange: ex.orders.length,
      by_trader: ex.orders.filter((o) => o.origin === 'api').length,
      by_hand_on_website: ex.orders.filter((o) => o.origin === 'website').length,
      in_database: db.orders.length,
      by_role: countBy(db.orders, (o) => o.role),
      by_state: countBy(db.orders, (o) => o.state),
    },
    fills: { on_exchange: ex.trades.length, booked_in_database: db.fills, fees },
    protective_orders: {
      placed: protective.length,
      open_on_exchange: ex.orders.filter(
        (o) => o.origin === 'api' && o.side === 'SELL' && o.type !== 'MARKET' && openStatuses.has(o.status),
      ).length,
    },
    duplicates: duplicates.length,
    duplicate_client_order_ids: duplicates,
    open_positions: db.open_positions.length,
    unprotected_entries: unprotected.length,
    unprotected_position_ids: unprotected,
    reconciliation: {
      explained: db.differences.filter((d) => d.explained).length,
      unexplained: db.differences.filter((d) => !d.explained).length,
      by_kind: countBy(db.differences, (d) => `${d.kind}${d.explained ? '' : ' (unexplained)'}`),
    },
    balances: balances.rows,
    balances_match: balances.match,
  };
}
export type DemoSummary = ReturnType<typeof summarize>;

/** The demo passes only with no duplicate, no unexplained difference, every open entry protected and equal balances; else one sentence. */
export function verdict(s: DemoSummary): { ok: true } | { ok: false; sentence: string } {
  const failed = [
    s.duplicates > 0
      ? `${s.duplicates} duplicate order(s) on the exchange (${s.duplicate_client_order_ids.join(', ')})`
      : null,
    s.reconciliation.unexplained > 0
      ? `${s.reconciliation.unexplained} unexplained reconciliation difference(s)`
      : null,
    s.unprotected_entries > 0
      ? `${s.unprotected_entries} open position(s) without a stop on the exchange (${s.unprotected_position_ids.map((id) => `#${id}`).join(', ')})`
      : null,
    s.balances_match
      ? null
      : `exchange and database balances differ (${s.balances
          .filter((b) => !b.match)
          .map((b) => `${b.asset} ${b.exchange} vs ${b.database}`)
          .join(', ')})`,
  ].filter((x): x is string => x !== null);
  return failed.length === 0 ? { ok: true } : { ok: false, sentence: `demo:live failed: ${failed.join('; ')}.` };
}
