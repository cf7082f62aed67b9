import { z } from 'zod';

/**
 * What each export holds: one SQL query per kind, every value already text (numerics
 * with every stored digit, times as ISO 8601 UTC), ordered, and filtered by a time
 * window on the column that says when the row happened. The column list is the CSV
 * header and the JSON lines' keys; `type` decides how JSON lines write a value.
 */

export const ExportKind = z.enum(['trades', 'runs', 'audit', 'backtest']);
export type ExportKind = z.infer<typeof ExportKind>;

export type ColumnType = 'text' | 'number' | 'json';
export interface ExportColumn {
  name: string;
  sql: string;
  type: ColumnType;
}

export interface ExportQuery {
  columns: ExportColumn[];
  sql: string;
  params: unknown[];
}

export interface ExportFilter {
  from?: Date;
  to?: Date;
  /** trades only: which system modes (both by default). */
  modes: ('TEST' | 'LIVE')[];
  /** backtest only: which backtest's trades. */
  backtestId?: string;
}

const utc = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const text = (name: string, sql = name): ExportColumn => ({ name, sql: `(${sql})::text`, type: 'text' });
const num = (name: string, sql = name): ExportColumn => ({ name, sql: `(${sql})::text`, type: 'number' });
const time = (name: string, sql = name): ExportColumn => ({ name, sql: utc(sql), type: 'text' });
const json = (name: string, sql = name): ExportColumn => ({ name, sql: `(${sql})::text`, type: 'json' });

/** What a tax report needs of each fill, paper (TEST) and real (LIVE) apart by the mode column. */
const tradeColumns: ExportColumn[] = [
  time('time_utc', 'ts'),
  text('mode'),
  text('exchange'),
  text('market', 'symbol'),
  text('base_asset', "split_part(symbol, '/', 1)"),
  text('quote_asset', "split_part(split_part(symbol, '/', 2), ':', 1)"),
  text('side'),
  text('kind'),
  num('quantity', 'qty'),
  num('price'),
  num('value_quote', 'trim_scale(qty * price)'),
  num('fee'),
  text('fee_asset'),
  // As booked: the price difference on this quantity, before the fee.
  num('realized_pnl_quote', 'realized_pnl'),
  // After this fill's own fee, when the fee was paid in the quote currency (else as booked).
  num(
    'net_pnl_quote',
    "case when fee_asset = split_part(split_part(symbol, '/', 2), ':', 1) then realized_pnl - fee else realized_pnl end",
  ),
  num('position_id'),
  num('trade_id'),
  text('exchange_trade_id'),
  text('run_id'),
];

const runColumns: ExportColumn[] = [
  text('run_id'),
  time('started_at'),
  time('finished_at'),
  text('pipeline_id'),
  text('strategy_id'),
  text('status'),
  text('trigger'),
  text('trigger_ref'),
  text('exchange'),
  text('timeframe'),
  text('symbols', "array_to_string(symbols, ' ')"),
  time('as_of'),
  text('error'),
  json('summary'),
];

/** With the hashes, so an exported trail can be checked link by link away from trader. */
const auditColumns: ExportColumn[] = [
  num('seq'),
  time('ts'),
  text('mode'),
  text('actor'),
  text('action_type'),
  text('status'),
  text('risk_profile'),
  text('entity_type'),
  text('entity_id'),
  json('details'),
  text('prev_hash'),
  text('hash'),
];

const backtestColumns: ExportColumn[] = [
  num('trade_no'),
  text('symbol'),
  text('side'),
  num('quantity', 'qty'),
  time('decided_at'),
  time('entry_time_utc', 'entry_ts'),
  num('entry_price'),
  num('stop'),
  text('targets', "array_to_string(targets, ' ')"),
  num('initial_risk'),
  num('planned_rr'),
  time('exit_time_utc', 'exit_ts'),
  num('exit_price'),
  text('exit_reason'),
  num('fees'),
  num('pnl'),
  num('r_multiple'),
  num('bars_held'),
  text('source_module'),
];

// ORDER BY and WHERE name the table's columns through its alias: a bare name would mean
// the text output column of the same name (trade_no 10 sorting before 2).
const select = (columns: ExportColumn[]) => columns.map((c) => `${c.sql} as "${c.name}"`).join(', ');

/** `$1`/`$2` bound the time column: from inclusive, to exclusive, either open. */
const window = (col: string) =>
  `($1::timestamptz is null or ${col} >= $1) and ($2::timestamptz is null or ${col} < $2)`;

export function exportQuery(kind: ExportKind, f: ExportFilter): ExportQuery {
  const bounds = [f.from ?? null, f.to ?? null];
  switch (kind) {
    case 'trades':
      return {
        columns: tradeColumns,
        sql: `select ${select(tradeColumns)} from (
                select 'TEST' as mode, t.* from trading_test.trades t
                union all select 'LIVE' as mode, t.* from trading_live.trades t) t
              where ${window('t.ts')} and t.mode = any($3::text[])
              order by t.ts, t.mode, t.trade_id`,
        params: [...bounds, f.modes],
      };
    case 'runs':
      return {
        columns: runColumns,
        sql: `select ${select(runColumns)} from pipeline_runs r where ${window('r.started_at')} order by r.started_at, r.run_id`,
        params: bounds,
      };
    case 'audit':
      return {
        columns: auditColumns,
        sql: `select ${select(auditColumns)} from audit_trail a where ${window('a.ts')} order by a.seq`,
        params: bounds,
      };
    case 'backtest':
      return {
        columns: backtestColumns,
        sql: `select ${select(backtestColumns)} from backtest_trades b
              where b.backtest_id = $3::uuid and ${window('b.entry_ts')} order by b.trade_no`,
        params: [...bounds, f.backtestId],
      };
  }
}
