import { z } from 'zod';
import { Metrics, type EquityCurve } from '../backtest/backtest-types.ts';
import { computeMetrics } from '../backtest/metrics.ts';
import type { TrialRow } from './study-repo.ts';
import { encode, type Dimension } from './space.ts';

/**
 * What a study reports per strategy. The headline is always out of sample: each window's
 * winner, chosen on its fitting span, scored on the next span it never saw, the test spans
 * chained into one record. In-sample figures are there only to show how much they shrink.
 */

const Value = z.union([z.string(), z.number(), z.boolean()]);
const SpanJson = z.object({ from: z.string(), to: z.string() });

export const OverfittingJson = z.object({
  deflated_sharpe: z.number(),
  expected_max_sharpe: z.number(),
  trials: z.number().int(),
  verdict: z.enum(['likely real', 'inconclusive', 'likely overfit']),
});

export const WindowReport = z.object({
  index: z.number().int(),
  fit: SpanJson,
  test: SpanJson,
  trials: z.number().int(),
  feasible: z.number().int(),
  best_trial: z.number().int().nullable(),
  params: z.record(z.string(), Value).nullable(),
  in_sample: Metrics.nullable(),
  in_sample_score: z.number().nullable(),
  /** The winner on the test span; null when no trial was feasible (the window then stays out of the market). */
  out_of_sample: Metrics.nullable(),
  /** Equal-weight buy-and-hold of the study's symbols over the test span, percent (no fees). */
  buy_and_hold_pct: z.number(),
  overfitting: OverfittingJson.nullable(),
});
export type WindowReport = z.infer<typeof WindowReport>;

export const StrategyReport = z.object({
  strategy_id: z.string(),
  windows: z.array(WindowReport),
  /** The test spans chained: the headline. */
  out_of_sample: Metrics,
  /** What trades now (version null: the strategy's rows as configured) on the same test spans; null in reports stored before it was measured. */
  incumbent: z.object({ version: z.number().int().nullable(), out_of_sample: Metrics }).nullable().default(null),
  /** Multi-strategy studies: the chained test spans of each market traded alone (null otherwise). */
  markets: z
    .array(z.object({ symbol: z.string(), out_of_sample: Metrics }))
    .nullable()
    .default(null),
  buy_and_hold_pct: z.number(),
  in_sample_mean_annualized_pct: z.number().nullable(),
  /** Mean out-of-sample annualised return over mean in-sample annualised return; null when in-sample is not positive. */
  walk_forward_efficiency: z.number().nullable(),
  /** The overfitting measure of the parameters proposed (the last window's winner). */
  overfitting: OverfittingJson.nullable(),
  /** The parameters to trade: the last window's winner, fitted on the most recent data. */
  best: z.object({ params: z.record(z.string(), Value), window: z.number().int(), trial: z.number().int() }).nullable(),
  /** Share of the feasible trials' score variance each parameter explains alone (0..1). */
  importance: z.array(z.object({ name: z.string(), importance: z.number() })),
});
export type StrategyReport = z.infer<typeof StrategyReport>;

/** A report as a study measures it now: what trades now always replayed beside the winners. */
export type MeasuredReport = StrategyReport & { incumbent: NonNullable<StrategyReport['incumbent']> };

/** One window's test curves chained after the others: each starts where the last ended. */
export function chainCurves(curves: readonly EquityCurve[], initialEquity: number): EquityCurve {
  const ts: number[] = [];
  const equity: number[] = [];
  let factor = 1;
  for (const c of curves) {
    for (let i = 0; i < c.ts.length; i++) {
      ts.push(c.ts[i]!);
      equity.push(c.equity[i]! * factor);
    }
    if (c.equity.length > 0) factor *= c.equity.at(-1)! / initialEquity;
  }
  return { ts, equity };
}

/** The chained out-of-sample record's metrics (trades counted as they were; P&L figures are per window's scale). */
export function chainedMetrics(
  windows: readonly { curve: EquityCurve; trades: Parameters<typeof computeMetrics>[0]['trades']; exposed: number }[],
  initialEquity: number,
  timeframeMs: number,
): Metrics {
  return computeMetrics({
    initial_equity: initialEquity,
    curve: chainCurves(
      windows.map((w) => w.curve),
      initialEquity,
    ),
    trades: windows.flatMap((w) => w.trades),
    timeframe_ms: timeframeMs,
    exposed_bars: windows.reduce((n, w) => n + w.exposed, 0),
  });
}

/**
 * How much of the feasible trials' score variance a parameter explains on its own: the
 * trials (at least ten) are grouped by the parameter (five equal bins of its unit scale, or by value for
 * a choice) and the variance of the group means, weighted by size, is divided by the total
 * variance. Crude beside fANOVA, but honest and cheap, and enough to say which knobs matter.
 */
export function parameterImportance(
  trials: readonly Pick<TrialRow, 'params' | 'score'>[],
  dimensions: readonly [string, Dimension][],
): { name: string; importance: number }[] {
  const feasible = trials.filter((t) => t.score !== null);
  const n = feasible.length;
  if (n < 10) return [];
  const mean = feasible.reduce((s, t) => s + t.score!, 0) / n;
  const total = feasible.reduce((s, t) => s + (t.score! - mean) ** 2, 0);
  if (!(total > 0)) return [];
  return dimensions
    .map(([name, d]) => {
      const groups = new Map<number, number[]>();
      for (const t of feasible) {
        const bin = Math.min(4, Math.floor(encode(d, t.params[name]!) * 5));
        (groups.get(bin) ?? groups.set(bin, []).get(bin)!).push(t.score!);
      }
      let between = 0;
      for (const g of groups.values()) between += g.length * (g.reduce((a, b) => a + b, 0) / g.length - mean) ** 2;
      return { name, importance: between / total };
    })
    .sort((a, b) => b.importance - a.importance);
}

/** Equal-weight buy-and-hold over a span: the mean of each market's first open to last close, percent. */
export function buyAndHoldPct(markets: readonly { open: number; close: number }[]): number {
  if (markets.length === 0) return 0;
  return (markets.reduce((s, m) => s + (m.close / m.open - 1), 0) / markets.length) * 100;
}
