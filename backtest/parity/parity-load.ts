import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import { RunFingerprint } from '../../engine/run/run-fingerprint.ts';
import type { DecisionShape } from './parity-schema.ts';

/**
 * Everything parity reads about recorded runs, read once before anything is re-decided:
 * the runs of the window, each decided symbol's recorded decision and fingerprint, and the
 * filled entry orders of those runs (paper trades of TEST, exchange fills of LIVE). The
 * fills of both modes are read as the database owner, as `trader export trades` does:
 * parity only reads them.
 */

export interface Window {
  from: Date;
  to: Date;
  pipelineId: string | null;
}

const RunLine = z.object({
  run_id: z.string(),
  pipeline_id: z.string(),
  strategy_id: z.string().nullable(),
  exchange: z.string(),
  timeframe: z.string(),
  as_of: z.date(),
  symbols: z.array(z.string()),
});
export type RunLine = z.infer<typeof RunLine>;

export interface PartialWindow {
  from?: Date;
  to?: Date;
}

const DEFAULT_DAYS = 30;

/**
 * The window a user left open: `to` just after the newest finished run's decision time (runs
 * replayed over history, like the demo's, are decided in the past), else now; `from` 30 days
 * before `to`.
 */
export async function resolveWindow(
  q: Queryable,
  w: PartialWindow,
  pipelineId: string | null,
): Promise<{ from: Date; to: Date }> {
  let to = w.to;
  if (to === undefined) {
    const [row] = await queryRows(
      q,
      z.object({ newest: z.date().nullable() }),
      `select max(as_of) as newest from pipeline_runs where status <> 'running' and ($1::text is null or pipeline_id = $1)`,
      [pipelineId],
    );
    to = row?.newest ? new Date(row.newest.getTime() + 1) : new Date();
  }
  const from = w.from ?? new Date(to.getTime() - DEFAULT_DAYS * 86_400_000);
  if (from.getTime() >= to.getTime())
    throw new TraderError('BAD_INPUT', '--from must be before --to (by default just after the newest recorded run).');
  return { from, to };
}

/** Finished runs whose decision time (as_of) is in [from, to), oldest first. */
export function loadRuns(q: Queryable, w: Window): Promise<RunLine[]> {
  return queryRows(
    q,
    RunLine,
    `select run_id, pipeline_id, strategy_id, exchange, timeframe, as_of, symbols from pipeline_runs
      where as_of >= $1 and as_of < $2 and ($3::text is null or pipeline_id = $3) and status <> 'running'
      order by as_of, started_at`,
    [w.from, w.to, w.pipelineId],
  );
}

/** A pipeline parity may filter by: one that is configured, or one some run used. */
export async function pipelineKnown(q: Queryable, pipelineId: string): Promise<boolean> {
  const rows = await q.query(
    'select 1 from pipeline_config where pipeline_id = $1 union all select 1 from pipeline_runs where pipeline_id = $1 limit 1',
    [pipelineId],
  );
  return rows.length > 0;
}

const key = (runId: string, symbol: string) => `${runId}|${symbol}`;

const DecisionLine = z.object({
  run_id: z.string(),
  symbol: z.string(),
  event: z.string(),
  message: z.string(),
  outputs: z.unknown().nullable(),
});

const StoredIntent = z.object({
  side: z.enum(['buy', 'sell']),
  entry: z.number(),
  stop: z.number(),
  qty: z.number(),
});

/** Each decided symbol's decision as its run logged it (`decision` rows; a data error is an `error` outcome). */
export async function loadDecisions(q: Queryable, runIds: string[]): Promise<Map<string, DecisionShape>> {
  const rows = await queryRows(
    q,
    DecisionLine,
    `select run_id::text as run_id, symbol, event, message, outputs from pipeline_log
      where run_id = any($1::uuid[]) and symbol is not null and event in ('decision', 'data_error') order by log_id`,
    [runIds],
  );
  const out = new Map<string, DecisionShape>();
  for (const r of rows) {
    const raw = (r.outputs as { intents?: unknown[] } | null)?.intents ?? [];
    const intents = raw.map((i) => {
      const parsed = StoredIntent.safeParse(i);
      // A logged intent that lost its shape is still a decision: compared, it differs.
      return parsed.success
        ? parsed.data
        : { side: 'buy' as const, entry: Number.NaN, stop: Number.NaN, qty: Number.NaN };
    });
    out.set(key(r.run_id, r.symbol), { outcome: r.event === 'data_error' ? 'error' : r.message, intents });
  }
  return out;
}

/** Each symbol's fingerprint; `null` for a row that no longer reads as one. */
export async function loadFingerprints(q: Queryable, runIds: string[]): Promise<Map<string, RunFingerprint | null>> {
  const rows = await queryRows(
    q,
    z.object({ run_id: z.string(), symbol: z.string(), recorded: z.unknown() }),
    'select run_id::text as run_id, symbol, recorded from run_fingerprints where run_id = any($1::uuid[])',
    [runIds],
  );
  return new Map(
    rows.map((r) => {
      const parsed = RunFingerprint.safeParse(r.recorded);
      return [key(r.run_id, r.symbol), parsed.success ? parsed.data : null];
    }),
  );
}

export const FillLine = z.object({
  source: z.enum(['paper', 'exchange']),
  run_id: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  order_ref: z.string(),
  qty: z.coerce.number(),
  price: z.coerce.number(),
  fee: z.coerce.number(),
  fee_asset: z.string(),
});
export type FillLine = z.infer<typeof FillLine>;

/**
 * Entry fills of the runs: TEST paper trades (one per order) and LIVE exchange fills (one
 * or more per order, grouped by its client order id). Exits are left out: their model
 * price depends on the path of the bars after the decision, not on the decision.
 */
export function loadFills(q: Queryable, runIds: string[]): Promise<FillLine[]> {
  return queryRows(
    q,
    FillLine,
    `select 'paper' as source, run_id::text as run_id, symbol, side, trade_id::text as order_ref, qty, price, fee, fee_asset
       from trading_test.trades where kind = 'entry' and exchange_trade_id is null and run_id = any($1::uuid[])
     union all
     select 'exchange', o.run_id::text, o.symbol, o.side, o.client_order_id, f.qty, f.price, f.fee, f.fee_asset
       from trading_live.orders o join trading_live.order_fills f using (client_order_id)
      where o.role = 'entry' and o.run_id = any($1::uuid[])
     order by 2, 5`,
    [runIds],
  );
}

export { key as decisionKey };
