import { z } from 'zod';
import type { Metrics } from '../backtest/backtest-types.ts';
import { computeMetrics } from '../backtest/metrics.ts';
import { queryRows, type Queryable } from '../store/db.ts';
import { listClosedPositions } from './positions-repo.ts';
import type { TradingScope } from './scope.ts';
import { loadState } from './state-repo.ts';

/**
 * The account's own record, paper (TEST) or LIVE, in the backtest's terms so the two can be
 * compared: return, max drawdown, Sharpe and Sortino from the recorded portfolio value
 * (equity_history), one point per UTC day (the day's last value, carried over days without
 * a change) from the account's starting balance, annualised over 365 days like a
 * backtest's; win rate, profit factor and net P&L from the newest 1,000 closed positions.
 * Deposits and withdrawals on a LIVE account would read as returns: the record assumes
 * none, as trader makes none.
 */

const DAY_MS = 86_400_000;
export const RECORD_CLOSED_LIMIT = 1000;

export interface AccountRecord {
  /** Days the curve spans (0: nothing recorded yet). */
  days: number;
  metrics: Metrics;
}

const DayValue = z.object({ day: z.date(), equity: z.coerce.number() });

/** The day's last recorded value for each UTC day with a change, oldest first. */
function dailyValues(q: Queryable, scope: TradingScope) {
  return queryRows(
    q,
    DayValue,
    `select distinct on (day) day, equity from (
       select (date_trunc('day', recorded_at at time zone 'UTC') at time zone 'UTC') as day, recorded_at, id, equity
       from ${scope.table('equity_history')}) h
     order by day, recorded_at desc, id desc`,
  );
}

export async function accountRecord(q: Queryable, scope: TradingScope, now: Date): Promise<AccountRecord> {
  const state = await loadState(q, scope);
  const days = await dailyValues(q, scope);
  const ts: number[] = [];
  const equity: number[] = [];
  if (days.length > 0) {
    const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
    let k = 0;
    let value = days[0]!.equity;
    for (let d = days[0]!.day.getTime(); d <= Math.max(today, days.at(-1)!.day.getTime()); d += DAY_MS) {
      for (; k < days.length && days[k]!.day.getTime() <= d; k++) value = days[k]!.equity;
      ts.push(d);
      equity.push(value);
    }
  }
  const closed = await listClosedPositions(q, scope, RECORD_CLOSED_LIMIT);
  const initial = state.initial_balance > 0 ? state.initial_balance : (equity[0] ?? 1);
  const metrics = computeMetrics({
    initial_equity: initial > 0 ? initial : 1,
    curve: { ts, equity },
    trades: closed.map((p) => {
      const net = p.realized_pnl - p.fees_paid;
      return {
        pnl: net,
        fees: p.fees_paid,
        r_multiple: p.risk_amount > 0 ? net / p.risk_amount : null,
        planned_rr: null,
      };
    }),
    timeframe_ms: DAY_MS,
    exposed_bars: 0,
  });
  return { days: ts.length, metrics };
}
