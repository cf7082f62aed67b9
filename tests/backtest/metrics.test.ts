/**
 * Backtest metrics against figures worked out by hand (exact fractions where possible), plus
 * properties on random curves checked against a brute-force drawdown. Each case is chosen so
 * the common wrong definitions (population stdev, downside over negatives only, no extra bar
 * in the year count, peak starting at the first point, zero-P&L trade as a win) give a
 * different number.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BacktestTrade, MetricsInput } from '../../backtest/backtest-types.ts';
import { computeMetrics } from '../../backtest/metrics.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2024, 0, 1);

/** Bar-close timestamps for `count` consecutive bars, the first closing one bar after START. */
const barCloses = (count: number, timeframeMs: number) =>
  Array.from({ length: count }, (_, i) => START + (i + 1) * timeframeMs);

const curveInput = (equity: number[], timeframeMs: number, extra: Partial<MetricsInput> = {}): MetricsInput => ({
  initial_equity: 10_000,
  curve: { ts: barCloses(equity.length, timeframeMs), equity },
  trades: [],
  timeframe_ms: timeframeMs,
  exposed_bars: 0,
  ...extra,
});

let tradeNo = 0;
const trade = (fields: Pick<BacktestTrade, 'pnl'> & Partial<BacktestTrade>): BacktestTrade => ({
  trade_no: ++tradeNo,
  symbol: 'BTC/USDT',
  side: 'long',
  qty: 1,
  decided_at: START,
  entry_ts: START + DAY,
  entry_price: 100,
  stop: 90,
  targets: [120],
  initial_risk: 10,
  planned_rr: 2,
  exit_ts: START + 2 * DAY,
  exit_price: 110,
  exit_reason: 'take_profit',
  fees: 0,
  r_multiple: fields.pnl / 10,
  bars_held: 1,
  source_module: null,
  contributors: [],
  ...fields,
});

describe('computeMetrics: a hand-computed 4-bar daily curve', () => {
  // initial 10000, closes 10100, 9999, 10201, 10302 on consecutive days.
  // Returns r = 100/10000 - 1 = 0.01, 9999/10100 - 1 = -0.01, 10201/9999 - 1 = 2/99,
  //   10302/10201 - 1 = 1/101.
  // mean = (2/99 + 1/101) / 4 = 301/39996 = 0.0075257525752575...
  // sample variance (n-1 = 3) = 1.59867805962514443e-4, stdev = 0.0126438841327542401
  // periodsPerYear = 365; sharpe = mean / stdev * sqrt(365) = 11.371450383357928
  //   (population stdev would give 13.1306...)
  // downside deviation = sqrt(0.01^2 / 4) = 0.005 (all four returns in the denominator);
  //   sortino = (301/39996) / 0.005 * sqrt(365) = 28.755860213708285 (over negatives only: 14.3779...)
  // total return = (10302/10000 - 1) * 100 = 3.02
  // years = (3 days of span + 1 bar) / 365 = 4/365; annualised = (1.0302^(365/4) - 1) * 100
  //   = 1410.396709936784 (without the extra bar, 3/365: 3633.5...)
  // max drawdown: peak 10100, trough 9999 -> 101/10100 = 1%; calmar = 1410.396.../1 = 1410.396709936784
  // exposure = 3 exposed bars / 4 = 75%
  // Trades: pnl 150, -101, 0, 253 (fees 2, 3, 1.5, 4) -> net 302, fees 10.5; wins 2, losses 2
  //   (the zero trade is a loss); win rate 50; profit factor 403/101 = 3.99009900990099;
  //   r multiples 1.5, -1, 0, null -> 0.5/3 = 1/6; planned rr 2, null, 1.5, 3 -> 6.5/3 = 13/6.
  const metrics = computeMetrics(
    curveInput([10_100, 9_999, 10_201, 10_302], DAY, {
      exposed_bars: 3,
      trades: [
        trade({ pnl: 150, fees: 2, r_multiple: 1.5, planned_rr: 2 }),
        trade({ pnl: -101, fees: 3, r_multiple: -1, planned_rr: null }),
        trade({ pnl: 0, fees: 1.5, r_multiple: 0, planned_rr: 1.5 }),
        trade({ pnl: 253, fees: 4, r_multiple: null, planned_rr: 3 }),
      ],
    }),
  );

  it('computes the curve metrics', () => {
    expect(metrics.total_return_pct).toBeCloseTo(3.02, 10);
    expect(metrics.annualized_return_pct).toBeCloseTo(1410.396709936784, 8);
    expect(metrics.max_drawdown_pct).toBeCloseTo(1, 10);
    expect(metrics.sharpe).toBeCloseTo(11.371450383357928, 10);
    expect(metrics.sortino).toBeCloseTo(28.755860213708285, 10);
    expect(metrics.calmar).toBeCloseTo(1410.396709936784, 8);
    expect(metrics.exposure_pct).toBeCloseTo(75, 10);
  });

  it('computes the trade metrics, counting a zero-P&L trade as a loss', () => {
    expect(metrics).toMatchObject({ trades: 4, wins: 2, losses: 2 });
    expect(metrics.net_pnl).toBeCloseTo(302, 10);
    expect(metrics.fees).toBeCloseTo(10.5, 10);
    expect(metrics.win_rate_pct).toBeCloseTo(50, 10);
    expect(metrics.profit_factor).toBeCloseTo(403 / 101, 10);
    expect(metrics.expectancy_r).toBeCloseTo(1 / 6, 10);
    expect(metrics.avg_rr).toBeCloseTo(13 / 6, 10);
  });
});

describe('computeMetrics: edge cases', () => {
  it('a curve without trades has null trade metrics, zero exposure and correct returns', () => {
    // initial 10000 -> 10500 -> 10500: total 5%; drawdown none; sortino null (no negative return).
    const metrics = computeMetrics(curveInput([10_500, 10_500], DAY));
    expect(metrics).toMatchObject({
      trades: 0,
      wins: 0,
      losses: 0,
      net_pnl: 0,
      fees: 0,
      win_rate_pct: null,
      profit_factor: null,
      expectancy_r: null,
      avg_rr: null,
      exposure_pct: 0,
      max_drawdown_pct: 0,
      sortino: null,
      calmar: null,
    });
    expect(metrics.total_return_pct).toBeCloseTo(5, 10);
    // years = 2/365 -> (1.05^182.5 - 1) * 100
    expect(metrics.annualized_return_pct).toBeCloseTo((Math.pow(1.05, 182.5) - 1) * 100, 6);
  });

  it('all-winning trades: win rate 100, profit factor null (no loss to divide by)', () => {
    const metrics = computeMetrics(
      curveInput([10_030.5], DAY, { trades: [trade({ pnl: 10 }), trade({ pnl: 20 }), trade({ pnl: 0.5 })] }),
    );
    expect(metrics).toMatchObject({ trades: 3, wins: 3, losses: 0, profit_factor: null });
    expect(metrics.win_rate_pct).toBeCloseTo(100, 10);
    expect(metrics.net_pnl).toBeCloseTo(30.5, 10);
  });

  it('a flat curve has no Sharpe, Sortino or Calmar and no drawdown', () => {
    const metrics = computeMetrics(curveInput(Array(50).fill(10_000), HOUR));
    expect(metrics).toMatchObject({
      total_return_pct: 0,
      annualized_return_pct: 0,
      max_drawdown_pct: 0,
      sharpe: null,
      sortino: null,
      calmar: null,
    });
  });

  it('an empty curve: zero return and exposure, every ratio null', () => {
    const metrics = computeMetrics(curveInput([], DAY, { exposed_bars: 0 }));
    expect(metrics).toMatchObject({
      total_return_pct: 0,
      annualized_return_pct: null,
      max_drawdown_pct: 0,
      sharpe: null,
      sortino: null,
      calmar: null,
      exposure_pct: 0,
    });
  });

  it('takes the deepest drawdown, even when its trough follows a later, higher peak', () => {
    // 10000 -> 10500 -> 10000 (4.76% off 10500) -> 11000 -> 9900 (10% off 11000) -> 10800.
    // A peak left at 10500 would give 5.71%; keeping the first drawdown would give 4.76%.
    const metrics = computeMetrics(curveInput([10_500, 10_000, 11_000, 9_900, 10_800], DAY));
    expect(metrics.max_drawdown_pct).toBeCloseTo(10, 10);
  });

  it('counts a fall below the initial equity on the very first bar as drawdown', () => {
    // Peak is the initial 10000, trough 9000 -> 10%. Starting the peak at the first point
    // (9000) would give (9500 - 9200) / 9500 = 3.16%.
    const metrics = computeMetrics(curveInput([9_000, 9_500, 9_200], DAY));
    expect(metrics.max_drawdown_pct).toBeCloseTo(10, 10);
    expect(metrics.total_return_pct).toBeCloseTo(-8, 10);
  });

  it('annualises a 1h curve of 8760 bars that doubles to 100%', () => {
    // 8760 hourly bars span 8759 h between first and last close, plus one bar = exactly 365 days.
    // Leaving out the extra bar gives 2^(8760/8759) - 1 = 100.016%; a 365.25-day year 100.095%.
    const equity = Array.from({ length: 8_760 }, (_, i) => 10_000 * Math.pow(2, (i + 1) / 8_760));
    const metrics = computeMetrics(curveInput(equity, HOUR));
    expect(metrics.total_return_pct).toBeCloseTo(100, 8);
    expect(metrics.annualized_return_pct).toBeCloseTo(100, 6);
    // Constant growth: returns differ only by rounding, which is not volatility.
    expect(metrics.sharpe).toBeNull();
    expect(metrics.sortino).toBeNull();
  });

  it('annualised return is null under one bar of span or when the account ends at or below zero', () => {
    expect(computeMetrics(curveInput([10_500], DAY)).annualized_return_pct).toBeNull();
    const wipedOut = computeMetrics(curveInput([5_000, 0], DAY));
    expect(wipedOut.annualized_return_pct).toBeNull();
    expect(wipedOut.calmar).toBeNull();
    expect(wipedOut.total_return_pct).toBeCloseTo(-100, 10);
    expect(wipedOut.max_drawdown_pct).toBeCloseTo(100, 10);
  });

  it('handles a year of 1-minute bars in one pass', () => {
    // 525,600 bars, sawtooth 10000..10099: worst fall 10099 -> 10000 = 99/10099; the last bar
    // is 10099, and span + 1 bar is exactly one year, so annualised equals total = 0.99%.
    const equity = Array.from({ length: 525_600 }, (_, i) => 10_000 + (i % 100));
    const metrics = computeMetrics(curveInput(equity, MINUTE, { exposed_bars: 262_800 }));
    expect(metrics.max_drawdown_pct).toBeCloseTo((99 / 10_099) * 100, 10);
    expect(metrics.total_return_pct).toBeCloseTo(0.99, 10);
    expect(metrics.annualized_return_pct).toBeCloseTo(0.99, 8);
    expect(metrics.exposure_pct).toBeCloseTo(50, 10);
    expect(Number.isFinite(metrics.sharpe)).toBe(true);
  });

  it('rejects a non-positive initial equity or timeframe and a ragged curve', () => {
    expect(() => computeMetrics(curveInput([1], DAY, { initial_equity: 0 }))).toThrow(RangeError);
    expect(() => computeMetrics(curveInput([1], 0))).toThrow(RangeError);
    expect(() => computeMetrics({ ...curveInput([1, 2], DAY), curve: { ts: [START], equity: [1, 2] } })).toThrow(
      RangeError,
    );
  });
});

describe('computeMetrics: properties on random positive curves', () => {
  /** Brute force: the largest fall from any earlier point (initial equity included) to a later one. */
  const bruteForceDrawdownPct = (initial: number, equity: number[]) => {
    const points = [initial, ...equity];
    let worst = 0;
    for (let i = 0; i < points.length; i++) {
      for (let j = i + 1; j < points.length; j++) {
        worst = Math.max(worst, ((points[i]! - points[j]!) / points[i]!) * 100);
      }
    }
    return worst;
  };

  it('0 <= max drawdown < 100, equal to brute force, and total return matches last / initial', () => {
    const positive = fc.double({ min: 1, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(positive, fc.array(positive, { minLength: 1, maxLength: 60 }), (initial, equity) => {
        const metrics = computeMetrics(curveInput(equity, HOUR, { initial_equity: initial }));
        expect(metrics.max_drawdown_pct).toBeGreaterThanOrEqual(0);
        expect(metrics.max_drawdown_pct).toBeLessThan(100);
        expect(metrics.max_drawdown_pct).toBeCloseTo(bruteForceDrawdownPct(initial, equity), 9);
        const expectedReturn = (equity[equity.length - 1]! / initial - 1) * 100;
        expect(metrics.total_return_pct).toBeCloseTo(expectedReturn, 9);
      }),
    );
  });
});
