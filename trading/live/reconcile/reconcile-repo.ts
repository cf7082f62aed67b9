import { z } from 'zod';
import { queryRows, type Queryable } from '../../../store/db.ts';
import { recordAudit } from '../../audit/audit-log.ts';
import type { AuditEntryInput } from '../../audit/audit-entry.ts';
import { tradingScope } from '../../scope.ts';
import { loadState } from '../../state-repo.ts';
import { type Difference, type ExchangeBook, LocalBook } from './reconcile-types.ts';

/**
 * Reconciliation's rows (migration 20261203160000_reconciliation.sql) and its audit rows.
 * Every read and write runs as trader_live inside the caller's transaction.
 */

export const live = tradingScope('LIVE');
const num = z.coerce.number();

/** The database's side of the comparison, for the trades and open orders the exchange listed. */
export async function loadLocalBook(
  tx: Queryable,
  exchange: string,
  seen: Pick<ExchangeBook, 'trades' | 'open_orders'>,
): Promise<LocalBook> {
  const orderIds = [...new Set([...seen.trades, ...seen.open_orders].map((t) => t.exchange_order_id))];
  const { quote_currency } = await loadState(tx, live);
  const wallets = await queryRows(
    tx,
    z.object({ asset: z.string(), balance: num }),
    `select asset, balance from ${live.table('wallets')}`,
  );
  const positions = await queryRows(
    tx,
    LocalBook.shape.positions.element.extend({ position_id: num, open_qty: num }),
    `select position_id, symbol, side, open_qty from ${live.table('positions')} where status = 'open' and exchange = $1`,
    [exchange],
  );
  const orders = await queryRows(
    tx,
    LocalBook.shape.orders.element.extend({ position_id: num.nullable() }),
    `select client_order_id, exchange_order_id, symbol, role, position_id from ${live.table('orders')}
      where exchange = $1 and exchange_order_id in (select jsonb_array_elements_text($2::text::jsonb))`,
    [exchange, JSON.stringify(orderIds)],
  );
  const booked = await queryRows(
    tx,
    z.object({ exchange_trade_id: z.string() }),
    `select exchange_trade_id from ${live.table('trades')} where exchange = $1 and exchange_trade_id in (select jsonb_array_elements_text($2::text::jsonb))`,
    [exchange, JSON.stringify(seen.trades.map((t) => t.trade_id))],
  );
  return LocalBook.parse({
    quote: quote_currency,
    wallets: Object.fromEntries(wallets.map((w) => [w.asset, w.balance])),
    positions,
    orders,
    booked_trade_ids: booked.map((b) => b.exchange_trade_id),
  });
}

/** The exchange as a whole (its balances), in reconcile_markets. */
export const wholeExchange = '*';

export const MarketRow = z.object({
  exchange: z.string(),
  symbol: z.string(),
  trades_since: z.date().nullable(),
  last_checked_at: z.date().nullable(),
  failures: num,
  last_error: z.string().nullable(),
  halted_at: z.date().nullable(),
});
export type MarketRow = z.infer<typeof MarketRow>;

export function loadMarketRows(q: Queryable, exchange?: string): Promise<MarketRow[]> {
  return queryRows(
    q,
    MarketRow,
    `select * from ${live.schema}.reconcile_markets where ($1::text is null or exchange = $1) order by exchange, symbol`,
    [exchange ?? null],
  );
}

/** Writes a market's row (created on first sight) and returns it as it was before. */
export async function saveMarketRow(
  tx: Queryable,
  row: Pick<MarketRow, 'exchange' | 'symbol'> & Partial<Omit<MarketRow, 'exchange' | 'symbol'>>,
): Promise<MarketRow | undefined> {
  const [before] = await queryRows(
    tx,
    MarketRow,
    `select * from ${live.schema}.reconcile_markets where exchange = $1 and symbol = $2 for update`,
    [row.exchange, row.symbol],
  );
  const merged = {
    trades_since: null,
    last_checked_at: null,
    failures: 0,
    last_error: null,
    halted_at: null,
    ...before,
    ...row,
  };
  await tx.query(
    `insert into ${live.schema}.reconcile_markets (exchange, symbol, trades_since, last_checked_at, failures, last_error, halted_at)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (exchange, symbol) do update set trades_since = excluded.trades_since, last_checked_at = excluded.last_checked_at,
       failures = excluded.failures, last_error = excluded.last_error, halted_at = excluded.halted_at`,
    [
      merged.exchange,
      merged.symbol,
      merged.trades_since,
      merged.last_checked_at,
      merged.failures,
      merged.last_error,
      merged.halted_at,
    ],
  );
  return before;
}

/** The markets (or '*', the whole exchange) halted because the exchange kept failing. */
export async function haltedMarkets(q: Queryable, exchange?: string): Promise<MarketRow[]> {
  return (await loadMarketRows(q, exchange)).filter((m) => m.halted_at !== null);
}

export async function insertDifferences(
  tx: Queryable,
  cycleId: string,
  exchange: string,
  differences: Difference[],
): Promise<void> {
  for (const d of differences)
    await tx.query(
      `insert into ${live.schema}.reconcile_differences (cycle_id, exchange, kind, explained, symbol, asset, local_value,
         exchange_value, detail) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [cycleId, exchange, d.kind, d.explained, d.symbol, d.asset, d.local_value, d.exchange_value, d.detail],
    );
}

export const OpenDifference = z.object({
  difference_id: num,
  found_at: z.date(),
  kind: z.string(),
  symbol: z.string().nullable(),
  asset: z.string().nullable(),
  local_value: num.nullable(),
  exchange_value: num.nullable(),
  detail: z.string(),
});
export type OpenDifference = z.infer<typeof OpenDifference>;

/** Unexplained differences the user has not accepted yet: while there is one, LIVE stays halted. */
export function openDifferences(q: Queryable, exchange?: string): Promise<OpenDifference[]> {
  return queryRows(
    q,
    OpenDifference,
    `select difference_id, found_at, kind, symbol, asset, local_value, exchange_value, detail
       from ${live.schema}.reconcile_differences
      where not explained and accepted_at is null and ($1::text is null or exchange = $1) order by difference_id`,
    [exchange ?? null],
  );
}

export async function acceptDifferences(tx: Queryable, exchange: string): Promise<number[]> {
  const rows = await tx.query<{ difference_id: number }>(
    `update ${live.schema}.reconcile_differences set accepted_at = now()
      where exchange = $1 and not explained and accepted_at is null returning difference_id`,
    [exchange],
  );
  return rows.map((r) => Number(r.difference_id));
}

export async function upsertDust(
  tx: Queryable,
  d: { exchange: string; asset: string; qty: number; position_id: number },
): Promise<number> {
  const [before] = await queryRows(
    tx,
    z.object({ qty: num }),
    `select qty from ${live.schema}.dust where exchange = $1 and asset = $2 for update`,
    [d.exchange, d.asset],
  );
  await tx.query(
    `insert into ${live.schema}.dust (exchange, asset, qty, position_id) values ($1, $2, $3, $4)
     on conflict (exchange, asset) do update set qty = ${live.schema}.dust.qty + excluded.qty,
       position_id = excluded.position_id, updated_at = now()`,
    [d.exchange, d.asset, d.qty, d.position_id],
  );
  return before?.qty ?? 0;
}

export function loadDust(q: Queryable): Promise<{ exchange: string; asset: string; qty: number }[]> {
  return queryRows(
    q,
    z.object({ exchange: z.string(), asset: z.string(), qty: num }),
    `select exchange, asset, qty from ${live.schema}.dust where qty > 0 order by exchange, asset`,
  );
}

/** One audit row of reconciliation (actor SYSTEM unless said otherwise). */
export function auditReconcile(
  q: Queryable,
  e: Pick<AuditEntryInput, 'action_type' | 'status' | 'details' | 'entity_type' | 'entity_id'> & {
    actor?: 'USER' | 'SYSTEM';
  },
): Promise<number> {
  return recordAudit(q, { mode: 'LIVE', actor: e.actor ?? 'SYSTEM', ...e });
}

/** Audits one local value reconciliation changed: table, row id, field, old value, new value. */
export function auditUpdate(
  q: Queryable,
  cycleId: string,
  u: { table: string; id: string; field: string; old: unknown; new: unknown },
): Promise<number> {
  return auditReconcile(q, {
    action_type: 'RECONCILE_UPDATE',
    status: 'INFO',
    entity_type: u.table,
    entity_id: u.id,
    details: { cycle_id: cycleId, table: u.table, id: u.id, field: u.field, old_value: u.old, new_value: u.new },
  });
}
