import type { BacktestTrade, EquityCurve, Metrics } from '../backtest/backtest-types.ts';
import type { PreparedBacktest } from '../backtest/backtest-setup.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import { deflatedSharpe } from './overfitting.ts';
import type { TrialRow } from './study-repo.ts';
import {
  buyAndHoldPct,
  chainedMetrics,
  parameterImportance,
  type MeasuredReport,
  type WindowReport,
} from './study-report.ts';
import type { StrategySpace } from './study-request.ts';
import type { Span, Window } from './walk-forward.ts';

/** A replay of a test span (metrics null: no winner, the window stayed out of the market). */
export interface TestOutcome {
  metrics: Metrics | null;
  curve: EquityCurve;
  trades: BacktestTrade[];
  exposed: number;
}

/** One window of a strategy as the study ran it: its trials, its winner and the winner's test span. */
export interface WindowResult {
  window: Window;
  trials: readonly TrialRow[];
  winner: TrialRow | null;
  /** The winner on the test span. */
  test: TestOutcome;
  /** The strategy as it trades now (its active version, or its rows as configured) on the same test span. */
  incumbent: TestOutcome;
  /** Multi-strategy studies: the winner on the test span, each market traded alone. */
  alone?: ReadonlyMap<string, TestOutcome>;
}

const iso = (s: Span) => ({ from: s.from.toISOString(), to: s.to.toISOString() });
const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
const stripMoments = (m: TrialRow['metrics']): Metrics | null => {
  if (!m) return null;
  const { per_bar: _moments, ...metrics } = m;
  return metrics;
};

/** Equal-weight buy-and-hold of the study's markets over a span, from the candles already loaded. */
function spanBuyAndHold(prepared: PreparedBacktest, span: Span): number {
  const markets = prepared.markets.flatMap((m) => {
    const { ts, open, close } = m.full;
    let first = -1;
    let last = -1;
    for (let k = 0; k < ts.length; k++)
      if (ts[k]! >= span.from.getTime() && ts[k]! < span.to.getTime()) {
        if (first < 0) first = k;
        last = k;
      }
    return first < 0 ? [] : [{ open: open[first]!, close: close[last]! }];
  });
  return buyAndHoldPct(markets);
}

function windowReport(r: WindowResult, prepared: PreparedBacktest): WindowReport {
  const feasible = r.trials.filter((t) => t.score !== null);
  const moments = r.winner?.metrics?.per_bar;
  return {
    index: r.window.index,
    fit: iso(r.window.fit),
    test: iso(r.window.test),
    trials: r.trials.length,
    feasible: feasible.length,
    best_trial: r.winner?.trial_no ?? null,
    params: r.winner?.params ?? null,
    in_sample: stripMoments(r.winner?.metrics ?? null),
    in_sample_score: r.winner?.score ?? null,
    out_of_sample: r.test.metrics,
    buy_and_hold_pct: spanBuyAndHold(prepared, r.window.test),
    overfitting: moments
      ? deflatedSharpe({
          sharpe: moments.sharpe,
          trialSharpes: feasible.map((t) => t.metrics!.per_bar.sharpe),
          observations: moments.n,
          skew: moments.skew,
          kurtosis: moments.kurtosis,
        })
      : null,
  };
}

/** A strategy's walk-forward report: each window, the chained out-of-sample record, degradation, overfitting, importance. */
export function strategyReport(
  strategyId: string,
  results: readonly WindowResult[],
  prepared: PreparedBacktest,
  space: StrategySpace,
  incumbentVersion: number | null,
): MeasuredReport {
  const windows = results.map((r) => windowReport(r, prepared));
  const chain = (tests: readonly TestOutcome[]) =>
    chainedMetrics(tests, prepared.request.initial_equity, parseTimeframe(prepared.request.timeframe));
  const outOfSample = chain(results.map((r) => r.test));
  const alone = results[0]?.alone;
  const chainedHold = windows.reduce((f, w) => f * (1 + w.buy_and_hold_pct / 100), 1);
  const isMean = mean(windows.flatMap((w) => w.in_sample?.annualized_return_pct ?? []));
  const oosMean = mean(windows.map((w) => w.out_of_sample?.annualized_return_pct ?? 0));
  const last = results.at(-1);
  return {
    strategy_id: strategyId,
    windows,
    out_of_sample: outOfSample,
    incumbent: { version: incumbentVersion, out_of_sample: chain(results.map((r) => r.incumbent)) },
    markets: alone
      ? [...alone.keys()].map((symbol) => ({ symbol, out_of_sample: chain(results.map((r) => r.alone!.get(symbol)!)) }))
      : null,
    buy_and_hold_pct: (chainedHold - 1) * 100,
    in_sample_mean_annualized_pct: isMean,
    walk_forward_efficiency: isMean !== null && isMean > 0 && oosMean !== null ? oosMean / isMean : null,
    overfitting: windows.at(-1)?.overfitting ?? null,
    best: last?.winner ? { params: last.winner.params, window: last.window.index, trial: last.winner.trial_no } : null,
    importance: parameterImportance(
      results.flatMap((r) => r.trials),
      space.dimensions,
    ),
  };
}
