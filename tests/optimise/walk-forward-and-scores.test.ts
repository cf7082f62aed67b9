import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Metrics } from '../../backtest/backtest-types.ts';
import { normalCdf, normalInv } from '../../optimise/normal.ts';
import { scoreTrial } from '../../optimise/objective.ts';
import { deflatedSharpe, returnMoments } from '../../optimise/overfitting.ts';
import { seededRng } from '../../optimise/rng.ts';
import { walkForwardWindows } from '../../optimise/walk-forward.ts';
import { expectTraderError } from '../helpers/errors.ts';

const H = 3_600_000;

describe('walk-forward windows', () => {
  it('test windows follow each other, never overlap their fitting span, and sit on bar boundaries (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2018-01-01T00:00:00Z') / H, max: Date.parse('2022-01-01T00:00:00Z') / H }),
        fc.integer({ min: 2_000, max: 60_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom('rolling' as const, 'anchored' as const),
        fc.integer({ min: 1, max: 5 }),
        (startHour, hours, windows, mode, fitSegments) => {
          const span = { from: new Date(startHour * H), to: new Date((startHour + hours) * H) };
          const w = walkForwardWindows(span, { windows, mode, timeframeMs: H, fitSegments });
          expect(w).toHaveLength(windows);
          w.forEach((x, i) => {
            expect(x.fit.to.getTime()).toBeLessThanOrEqual(x.test.from.getTime());
            expect(x.fit.from.getTime()).toBeLessThan(x.fit.to.getTime());
            expect(x.test.from.getTime()).toBeLessThan(x.test.to.getTime());
            for (const t of [x.fit.from, x.fit.to, x.test.from, x.test.to]) expect(t.getTime() % H).toBe(0);
            if (i > 0) expect(x.test.from).toEqual(w[i - 1]!.test.to);
            if (mode === 'anchored') expect(x.fit.from).toEqual(span.from);
            expect(x.test.to.getTime()).toBeLessThanOrEqual(span.to.getTime());
          });
        },
      ),
    );
  });

  it('5 rolling windows over 2019-2024: each fitted on the 27 months before its 9-month test', () => {
    const w = walkForwardWindows(
      { from: new Date('2019-01-01T00:00:00Z'), to: new Date('2025-01-01T00:00:00Z') },
      { windows: 5, mode: 'rolling', timeframeMs: H },
    );
    expect(
      w.map((x) => [
        x.fit.from.toISOString().slice(0, 7),
        x.test.from.toISOString().slice(0, 7),
        x.test.to.toISOString().slice(0, 7),
      ]),
    ).toEqual([
      ['2019-01', '2021-04', '2022-01'],
      ['2019-10', '2022-01', '2022-10'],
      ['2020-07', '2022-10', '2023-07'],
      ['2021-04', '2023-07', '2024-04'],
      ['2022-01', '2024-04', '2025-01'],
    ]);
  });

  it('refuses a window count out of range and a span too short, with one sentence', async () => {
    const span = { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-05T00:00:00Z') };
    await expectTraderError(
      Promise.resolve().then(() => walkForwardWindows(span, { windows: 0, mode: 'rolling', timeframeMs: H })),
      'BAD_INPUT',
      /1 to 50/,
    );
    await expectTraderError(
      Promise.resolve().then(() => walkForwardWindows(span, { windows: 5, mode: 'rolling', timeframeMs: H })),
      'BAD_INPUT',
      /too few for 5/,
    );
  });
});

const metrics = (o: Partial<Metrics>): Metrics => ({
  trades: 50,
  wins: 25,
  losses: 25,
  net_pnl: 0,
  fees: 0,
  total_return_pct: 0,
  annualized_return_pct: 0,
  max_drawdown_pct: 10,
  sharpe: 1,
  sortino: 1,
  calmar: 1,
  win_rate_pct: 50,
  profit_factor: 1,
  expectancy_r: 0.1,
  exposure_pct: 20,
  avg_rr: 1,
  ...o,
});

describe('trial scores and constraints', () => {
  const c = { maxDrawdownPct: 25, minTrades: 10 };
  it('a trial past the drawdown limit or short of trades is infeasible whatever its return', () => {
    expect(scoreTrial(metrics({ sortino: 9, max_drawdown_pct: 25.1 }), 'sortino', c)).toMatchObject({
      value: null,
      raw: 9,
      infeasible: "drawdown 25.1 % passes the profile's limit of 25 %",
    });
    expect(scoreTrial(metrics({ sortino: 9, trades: 9 }), 'sortino', c).infeasible).toBe(
      '9 trade(s), fewer than the minimum of 10',
    );
    expect(scoreTrial(metrics({ sharpe: null }), 'sharpe', c).value).toBeNull();
  });

  it('few trades shrink a positive score: ten lucky trades do not beat a hundred good ones', () => {
    const fluke = scoreTrial(metrics({ calmar: 3, trades: 10 }), 'calmar', c).value!;
    const steady = scoreTrial(metrics({ calmar: 2, trades: 100 }), 'calmar', c).value!;
    expect(fluke).toBeCloseTo(1.5);
    expect(steady).toBeGreaterThan(fluke);
    expect(scoreTrial(metrics({ expectancy_r: -0.2, trades: 12 }), 'expectancy', c).value).toBe(-0.2);
  });
});

describe('the deflated Sharpe ratio', () => {
  it('the normal CDF and its inverse agree', () => {
    for (const z of [-4, -2.5, -1, 0, 0.3, 1.96, 3.5]) expect(normalInv(normalCdf(z))).toBeCloseTo(z, 3);
    expect(normalInv(0.975)).toBeCloseTo(1.959964, 5);
  });

  it('one trial with a zero Sharpe is a coin toss; more trials tried deflate the same Sharpe further', () => {
    expect(
      deflatedSharpe({ sharpe: 0, trialSharpes: [0], observations: 1000, skew: 0, kurtosis: 3 }).deflated_sharpe,
    ).toBeCloseTo(0.5, 6);
    const spread = (n: number) => Array.from({ length: n }, (_, i) => ((i / (n - 1)) * 2 - 1) * 0.02);
    const dsr = [10, 100, 1000].map(
      (n) =>
        deflatedSharpe({ sharpe: 0.03, trialSharpes: spread(n), observations: 5000, skew: 0, kurtosis: 3 })
          .deflated_sharpe,
    );
    expect(dsr[0]).toBeGreaterThan(dsr[1]!);
    expect(dsr[1]).toBeGreaterThan(dsr[2]!);
  });

  it('the best of 200 strategies without an edge is called overfit; a real edge over as many trials is not', () => {
    const rng = seededRng(42);
    const curve = (drift: number) => {
      const e = [1];
      for (let i = 0; i < 2000; i++) e.push(e.at(-1)! * (1 + drift + 0.01 * rng.normal()));
      return e;
    };
    const luck = Array.from({ length: 200 }, () => returnMoments(curve(0)));
    const best = luck.reduce((a, b) => (b.sharpe > a.sharpe ? b : a));
    const sharpes = luck.map((m) => m.sharpe);
    expect(
      deflatedSharpe({
        sharpe: best.sharpe,
        trialSharpes: sharpes,
        observations: best.n,
        skew: best.skew,
        kurtosis: best.kurtosis,
      }).verdict,
    ).toBe('likely overfit');
    const edge = returnMoments(curve(0.002));
    expect(
      deflatedSharpe({
        sharpe: edge.sharpe,
        trialSharpes: [...sharpes.slice(1), edge.sharpe],
        observations: edge.n,
        skew: edge.skew,
        kurtosis: edge.kurtosis,
      }).verdict,
    ).toBe('likely real');
  });
});
