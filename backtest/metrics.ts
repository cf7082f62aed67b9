import type { EquityCurve, Metrics, MetricsInput } from './backtest-types.ts';

/**
 * Performance metrics of a backtest, from its equity curve and closed trades. Pure: no I/O,
 * no clock. The curve is walked once (it can hold 500,000+ bars), never spread into
 * Math.max and the like, which would overflow the argument stack on long curves.
 */

const MS_PER_DAY = 86_400_000;
/** Crypto trades 24/7, so a year is 365 full days of bars (not 252 trading days). */
const MS_PER_YEAR = 365 * MS_PER_DAY;
/**
 * Per-bar return dispersion below this is floating-point noise, not risk: a curve growing at
 * a constant rate has returns that differ only in the 16th digit, and dividing by that
 * would report a Sharpe of ~1e14. Real dispersion of per-bar returns is many orders larger.
 */
const RETURN_STDEV_EPSILON = 1e-12;

export function computeMetrics(input: MetricsInput): Metrics {
  assertValidInput(input);
  const curve = summariseCurve(input.initial_equity, input.curve, input.timeframe_ms);
  const trades = summariseTrades(input.trades);
  const pointCount = input.curve.equity.length;
  return {
    ...trades,
    ...curve,
    // Calmar is annualised return per unit of worst drawdown; undefined without either.
    calmar:
      curve.annualized_return_pct === null || curve.max_drawdown_pct === 0
        ? null
        : curve.annualized_return_pct / curve.max_drawdown_pct,
    // Share of the curve's bars with at least one position open.
    exposure_pct: pointCount === 0 ? 0 : (input.exposed_bars / pointCount) * 100,
  };
}

function assertValidInput(input: MetricsInput): void {
  if (!(input.initial_equity > 0)) throw new RangeError(`initial_equity must be > 0, got ${input.initial_equity}`);
  if (!(input.timeframe_ms > 0)) throw new RangeError(`timeframe_ms must be > 0, got ${input.timeframe_ms}`);
  if (input.curve.ts.length !== input.curve.equity.length) {
    throw new RangeError(
      `curve has ${input.curve.ts.length} timestamps but ${input.curve.equity.length} equity points`,
    );
  }
}

type CurveMetrics = Pick<
  Metrics,
  'total_return_pct' | 'annualized_return_pct' | 'max_drawdown_pct' | 'sharpe' | 'sortino'
>;

function summariseCurve(initialEquity: number, curve: EquityCurve, timeframeMs: number): CurveMetrics {
  const { equity, ts } = curve;
  // The curve's first point is the close of the first bar, so the starting equity is the
  // first peak and the base of the first return: a fall on bar one is a drawdown.
  let peak = initialEquity;
  let maxDrawdownPct = 0;
  let previous = initialEquity;
  // Per-bar simple returns r_i = e_i / e_{i-1} - 1, with e_{-1} = initial equity.
  // Mean and variance by Welford's update: one pass, no cancellation from sum-of-squares.
  let returnCount = 0;
  let returnMean = 0;
  let returnSquaredDeviations = 0;
  // Sortino's downside: sum of min(r, 0)^2 (target return 0).
  let downsideSquares = 0;
  // A return off a non-positive equity is meaningless; the ratios are then undefined.
  let returnsDefined = true;

  for (const value of equity) {
    if (value > peak) peak = value;
    const drawdownPct = ((peak - value) / peak) * 100;
    if (drawdownPct > maxDrawdownPct) maxDrawdownPct = drawdownPct;

    if (previous <= 0) returnsDefined = false;
    const barReturn = value / previous - 1;
    previous = value;
    returnCount++;
    const delta = barReturn - returnMean;
    returnMean += delta / returnCount;
    returnSquaredDeviations += delta * (barReturn - returnMean);
    if (barReturn < 0) downsideSquares += barReturn * barReturn;
  }

  const lastEquity = equity.length === 0 ? initialEquity : equity[equity.length - 1]!;
  const growth = lastEquity / initialEquity;
  const periodsPerYear = MS_PER_YEAR / timeframeMs;

  // Sharpe: mean / sample stdev (n - 1) of per-bar returns, annualised by sqrt(bars per
  // year), risk-free rate 0. Undefined below 2 returns or without dispersion.
  const returnStdev = returnCount < 2 ? 0 : Math.sqrt(returnSquaredDeviations / (returnCount - 1));
  const sharpe =
    returnsDefined && returnStdev > RETURN_STDEV_EPSILON
      ? (returnMean / returnStdev) * Math.sqrt(periodsPerYear)
      : null;

  // Sortino: mean / downside deviation, sqrt(sum(min(r, 0)^2) / n) over all n returns, not
  // just the negative ones. Undefined when no return was negative.
  const downsideDeviation = returnCount === 0 ? 0 : Math.sqrt(downsideSquares / returnCount);
  const sortino =
    returnsDefined && downsideDeviation > 0 ? (returnMean / downsideDeviation) * Math.sqrt(periodsPerYear) : null;

  return {
    // Final equity against the starting equity; an empty curve has not moved.
    total_return_pct: (growth - 1) * 100,
    annualized_return_pct: annualisedReturnPct(growth, ts, timeframeMs),
    // Largest peak-to-trough fall, in percent of that peak.
    max_drawdown_pct: maxDrawdownPct,
    sharpe,
    sortino,
  };
}

/**
 * Compound annual growth: (last / initial)^(1 / years) - 1. The curve's timestamps are bar
 * closes, so the time covered is their span plus the first bar: (last ts - first ts +
 * timeframe) / 365 days. Undefined when the span is under one bar (annualising a single bar
 * is noise raised to a huge power) or when the account ended at or below zero (no real root).
 */
function annualisedReturnPct(growth: number, ts: readonly number[], timeframeMs: number): number | null {
  if (ts.length === 0 || growth <= 0) return null;
  const spanMs = ts[ts.length - 1]! - ts[0]!;
  if (spanMs < timeframeMs) return null;
  const years = (spanMs + timeframeMs) / MS_PER_YEAR;
  return (Math.pow(growth, 1 / years) - 1) * 100;
}

export type TradeMetrics = Pick<
  Metrics,
  'trades' | 'wins' | 'losses' | 'net_pnl' | 'fees' | 'win_rate_pct' | 'profit_factor' | 'expectancy_r' | 'avg_rr'
>;

export function summariseTrades(trades: MetricsInput['trades']): TradeMetrics {
  let wins = 0;
  let netPnl = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let fees = 0;
  let rMultipleSum = 0;
  let rMultipleCount = 0;
  let plannedRrSum = 0;
  let plannedRrCount = 0;

  for (const trade of trades) {
    // A win is pnl > 0 after fees; a trade that nets exactly zero paid fees for nothing and
    // counts as a loss (it adds 0 to the gross loss).
    if (trade.pnl > 0) {
      wins++;
      grossProfit += trade.pnl;
    } else {
      grossLoss += trade.pnl;
    }
    netPnl += trade.pnl;
    fees += trade.fees;
    // Trades with zero initial risk have no R multiple and are left out, not counted as 0R.
    if (trade.r_multiple !== null) {
      rMultipleSum += trade.r_multiple;
      rMultipleCount++;
    }
    // Trades planned without a target have no reward-to-risk and are left out.
    if (trade.planned_rr !== null) {
      plannedRrSum += trade.planned_rr;
      plannedRrCount++;
    }
  }

  const count = trades.length;
  return {
    trades: count,
    wins,
    losses: count - wins,
    // Net of fees, as each trade's pnl already is.
    net_pnl: netPnl,
    fees,
    win_rate_pct: count === 0 ? null : (wins / count) * 100,
    // Gross profit / |gross loss|; undefined without a losing pnl to divide by.
    profit_factor: grossLoss < 0 ? grossProfit / -grossLoss : null,
    expectancy_r: rMultipleCount === 0 ? null : rMultipleSum / rMultipleCount,
    avg_rr: plannedRrCount === 0 ? null : plannedRrSum / plannedRrCount,
  };
}
