import { z } from 'zod';
import { Metrics } from '../backtest/backtest-types.ts';
import { computeMetrics } from '../backtest/metrics.ts';
import { queryRows, type Queryable } from '../store/db.ts';
import type { TradingScope } from '../trading/scope.ts';
import { scoreTrial, type Constraints, type Objective } from './objective.ts';

/**
 * Live feedback (seed section 8): how a strategy version has done on its own recent trades
 * (LIVE, or in TEST the paper account), scored with the study's objective so it can be
 * blended with a backtest score: Final = (1 - w) x backtest + w x live.
 *
 * The record is the version's positions closed in the last LIVE_FEEDBACK_DAYS days. Each
 * one's net P&L is a return on the account as it stood when it opened (risk amount over
 * risk percent), compounded into a daily curve from the first opening to now, so the
 * ratios are annualised like a backtest's. Fewer than LIVE_FEEDBACK_MIN_TRADES closed
 * trades is too little evidence: the live score then gets weight 0.
 */
export const LIVE_FEEDBACK_DAYS = 90;
export const LIVE_FEEDBACK_MIN_TRADES = 10;

const DAY_MS = 86_400_000;

export const LiveRecord = z.object({
  /** The version scored: null is the strategy's rows as configured (no version active). */
  version: z.number().int().nullable(),
  trades: z.number().int(),
  metrics: Metrics.nullable(),
  /** The objective on the live record; null when infeasible or too few trades (the reason says which). */
  score: z.number().nullable(),
  /** The weight the live score gets: the configured weight, or 0 with too little evidence. */
  weight: z.number(),
  note: z.string(),
});
export type LiveRecord = z.infer<typeof LiveRecord>;

const ClosedPosition = z.object({
  opened_at: z.date(),
  closed_at: z.date(),
  net: z.coerce.number(),
  fees: z.coerce.number(),
  risk_amount: z.coerce.number(),
  risk_pct: z.coerce.number(),
});

export async function liveRecord(
  q: Queryable,
  scope: TradingScope,
  o: {
    strategyId: string;
    version: number | null;
    objective: Objective;
    constraints: Constraints;
    weight: number;
    now: Date;
  },
): Promise<LiveRecord> {
  const since = new Date(o.now.getTime() - LIVE_FEEDBACK_DAYS * DAY_MS);
  const rows = await queryRows(
    q,
    ClosedPosition,
    `select opened_at, closed_at, realized_pnl - fees_paid as net, fees_paid as fees, risk_amount, risk_pct
     from ${scope.table('positions')}
     where status = 'closed' and strategy_id = $1 and strategy_version is not distinct from $2
       and closed_at >= $3 and risk_amount > 0 and risk_pct > 0
     order by closed_at`,
    [o.strategyId, o.version, since],
  );
  const source = scope.mode === 'LIVE' ? 'LIVE' : 'paper';
  const base = { version: o.version, trades: rows.length };
  if (rows.length < LIVE_FEEDBACK_MIN_TRADES)
    return {
      ...base,
      metrics: rows.length === 0 ? null : liveMetrics(rows, o.now),
      score: null,
      weight: 0,
      note: `${rows.length} ${source} trade(s) in ${LIVE_FEEDBACK_DAYS} days, fewer than ${LIVE_FEEDBACK_MIN_TRADES}: live weight 0`,
    };
  const metrics = liveMetrics(rows, o.now);
  // The live record answers to the same drawdown limit; its trade count is already the minimum.
  const scored = scoreTrial(metrics, o.objective, { ...o.constraints, minTrades: LIVE_FEEDBACK_MIN_TRADES });
  return {
    ...base,
    metrics,
    score: scored.value,
    weight: scored.value === null ? 0 : o.weight,
    note:
      scored.infeasible === null
        ? `${rows.length} ${source} trades in ${LIVE_FEEDBACK_DAYS} days`
        : `${source} record infeasible: ${scored.infeasible}; live weight 0`,
  };
}

function liveMetrics(rows: readonly z.infer<typeof ClosedPosition>[], now: Date): Metrics {
  const day = (t: Date) => Math.floor(t.getTime() / DAY_MS) * DAY_MS;
  const first = day(rows[0]!.opened_at);
  const last = day(now);
  const ts: number[] = [];
  const equity: number[] = [];
  let growth = 1;
  let k = 0;
  for (let d = first; d <= last; d += DAY_MS) {
    for (; k < rows.length && day(rows[k]!.closed_at) <= d; k++) {
      const r = rows[k]!;
      growth *= 1 + r.net / ((r.risk_amount * 100) / r.risk_pct);
    }
    ts.push(d);
    equity.push(growth);
  }
  return computeMetrics({
    initial_equity: 1,
    curve: { ts, equity },
    trades: rows.map((r) => ({ pnl: r.net, fees: r.fees, r_multiple: r.net / r.risk_amount, planned_rr: null })),
    timeframe_ms: DAY_MS,
    exposed_bars: 0,
  });
}

/** Final_Score = (1 - w) x backtest + w x live; the backtest score alone when the live one has no weight. */
export function finalScore(backtest: number | null, live: Pick<LiveRecord, 'score' | 'weight'>): number | null {
  if (backtest === null) return null;
  if (live.score === null || live.weight === 0) return backtest;
  return (1 - live.weight) * backtest + live.weight * live.score;
}
