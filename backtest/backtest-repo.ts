import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { queryRows, type Db, type Queryable } from '../store/db.ts';
import { BacktestTrade, EquityCurve } from './backtest-types.ts';
import { ratedMetrics } from './ratings.ts';
import { BacktestReport } from './report-schema.ts';
import { quote } from '../core/quote.ts';
import type { BatchSlot } from './backtest-batch.ts';

/** The backtest tables (supabase/migrations/20261122050000_backtests.sql). Times cross the driver as ms numbers. */

const ms = (col: string) => `timestamptz 'epoch' + (${col}) * interval '1 millisecond'`;
const toMs = (col: string) => `(extract(epoch from ${col}) * 1000)::int8`;

const tradeColumns = `trade_no int, symbol text, side text, qty float8, decided_at float8, entry_ts float8, entry_price float8, stop float8, targets float8[],
  initial_risk float8, planned_rr float8, exit_ts float8, exit_price float8, exit_reason text, fees float8, pnl float8, r_multiple float8, bars_held int,
  source_module text, contributors jsonb`;

/**
 * Stores a finished backtest: report, trades, curves and performance ratings, all or
 * nothing. A backtest of a batch goes in its slot, once: when another attempt (a retried or
 * duplicate job) stored the slot first, nothing is written and the answer is false. The run's
 * row is the first statement, so a second attempt waits on the slot until the first commits.
 */
export async function saveBacktest(
  db: Db,
  report: BacktestReport,
  trades: readonly BacktestTrade[],
  curves: ReadonlyMap<string, EquityCurve>,
  slot?: BatchSlot,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const stored = await tx.query(
      `insert into backtest_runs (backtest_id, request, report, duration_ms, batch_id, batch_index) values ($1, $2, $3, $4, $5, $6)
       on conflict (batch_id, batch_index) do nothing returning backtest_id`,
      [
        report.backtest_id,
        report.request,
        report,
        report.duration_ms,
        slot?.batch_id ?? null,
        slot?.batch_index ?? null,
      ],
    );
    if (stored.length === 0) return false;
    if (trades.length > 0) {
      await tx.query(
        `insert into backtest_trades (backtest_id, trade_no, symbol, side, qty, decided_at, entry_ts, entry_price, stop, targets, initial_risk, planned_rr,
           exit_ts, exit_price, exit_reason, fees, pnl, r_multiple, bars_held, source_module, contributors)
         select $1, t.trade_no, t.symbol, t.side, t.qty, ${ms('t.decided_at')}, ${ms('t.entry_ts')}, t.entry_price, t.stop, t.targets, t.initial_risk, t.planned_rr,
           ${ms('t.exit_ts')}, t.exit_price, t.exit_reason, t.fees, t.pnl, t.r_multiple, t.bars_held, t.source_module, t.contributors
         from jsonb_to_recordset($2::jsonb) as t(${tradeColumns})`,
        [report.backtest_id, trades],
      );
    }
    for (const [symbol, c] of curves) {
      await tx.query(
        'insert into backtest_equity (backtest_id, symbol, ts, equity) values ($1, $2, $3::float8[], $4::float8[])',
        [report.backtest_id, symbol, c.ts, c.equity],
      );
    }
    const context = {
      backtest_id: report.backtest_id,
      symbols: report.request.symbols,
      timeframe: report.request.timeframe,
      from: report.request.from,
      to: report.request.to,
      strategy_id: report.request.strategy_id,
      pipeline_id: report.request.pipeline_id,
    };
    const rows = report.ratings.flatMap((r) =>
      ratedMetrics.map((metric) => ({
        module_id: r.module_id,
        module_version: r.version,
        metric_name: metric,
        value: r[metric],
        stage: r.stage,
      })),
    );
    if (rows.length > 0) {
      await tx.query(
        `insert into performance_ratings (module_id, module_version, metric_name, value, context_snapshot, backtest_id)
         select r.module_id, r.module_version, r.metric_name, r.value, $2::jsonb || jsonb_build_object('stage', r.stage), $1
         from jsonb_to_recordset($3::jsonb) as r(module_id text, module_version text, metric_name text, value float8, stage text)`,
        [report.backtest_id, context, rows],
      );
    }
    return true;
  });
}

/** The stored reports of a batch's backtests (of `indexes` only, when given), by batch index. */
export async function batchReports(
  q: Queryable,
  batchId: string,
  indexes?: readonly number[],
): Promise<Map<number, BacktestReport>> {
  const rows = await queryRows(
    q,
    z.object({ batch_index: z.number(), report: BacktestReport }),
    `select batch_index, report from backtest_runs
     where batch_id = $1 and ($2::int[] is null or batch_index = any($2::int[])) order by batch_index`,
    [batchId, indexes ? [...indexes] : null],
  );
  return new Map(rows.map((r) => [r.batch_index, r.report]));
}

const TradeRow = BacktestTrade;

/** A stored backtest's report row, or one sentence saying the id is malformed or unknown. */
export async function storedBacktest(q: Queryable, id: string): Promise<{ report: unknown }> {
  if (!z.string().uuid().safeParse(id).success)
    throw new TraderError('BAD_INPUT', `${quote(id)} is not a backtest id (a UUID, see \`trader backtest list\`).`);
  const [run] = await q.query<{ report: unknown }>('select report from backtest_runs where backtest_id = $1', [id]);
  if (!run) throw new TraderError('NOT_FOUND', `No backtest ${id}; \`trader backtest list\` shows the stored ones.`);
  return run;
}

/** A stored backtest by id, parsed back through its schemas. */
export async function loadBacktest(
  q: Queryable,
  id: string,
): Promise<{ report: BacktestReport; trades: BacktestTrade[]; curves: Map<string, EquityCurve> }> {
  const run = await storedBacktest(q, id);
  const trades = await queryRows(
    q,
    TradeRow,
    `select trade_no, symbol, side, qty, ${toMs('decided_at')} as decided_at, ${toMs('entry_ts')} as entry_ts, entry_price, stop, targets, initial_risk, planned_rr,
       ${toMs('exit_ts')} as exit_ts, exit_price, exit_reason, fees, pnl, r_multiple, bars_held, source_module, contributors
     from backtest_trades where backtest_id = $1 order by trade_no`,
    [id],
  );
  const curveRows = await queryRows(
    q,
    EquityCurve.extend({ symbol: z.string() }),
    'select symbol, ts, equity from backtest_equity where backtest_id = $1 order by symbol',
    [id],
  );
  return {
    report: BacktestReport.parse(run.report),
    trades,
    curves: new Map(curveRows.map((r) => [r.symbol, { ts: r.ts, equity: r.equity }])),
  };
}

export const BacktestListRow = z.object({
  backtest_id: z.string(),
  created_at: z.date(),
  symbols: z.array(z.string()),
  timeframe: z.string(),
  from: z.string(),
  to: z.string(),
  strategy_id: z.string().nullable(),
  trades: z.number(),
  total_return_pct: z.number(),
  max_drawdown_pct: z.number(),
});
export type BacktestListRow = z.infer<typeof BacktestListRow>;

/** The newest stored backtests, one line each. */
export async function listBacktests(q: Queryable, limit: number): Promise<BacktestListRow[]> {
  return queryRows(
    q,
    BacktestListRow,
    `select backtest_id::text, created_at, array(select jsonb_array_elements_text(request->'symbols')) as symbols, request->>'timeframe' as timeframe,
       request->>'from' as "from", request->>'to' as "to", request->>'strategy_id' as strategy_id, (report->'total'->>'trades')::int as trades,
       (report->'total'->>'total_return_pct')::float8 as total_return_pct, (report->'total'->>'max_drawdown_pct')::float8 as max_drawdown_pct
     from backtest_runs order by created_at desc limit $1`,
    [limit],
  );
}
