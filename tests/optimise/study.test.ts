/**
 * `trader optimise` end to end on the demo's candles (BTC/USDT, February and March 2024), both backends:
 * determinism by seed, resume without repeating a trial, non-negotiable constraints, the
 * outcome as a governed strategy version, and the planner trading what was approved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { preparePlans } from '../../engine/plan/prepare.ts';
import { optimise } from '../../optimise/optimise.ts';
import type { StudyOptions } from '../../optimise/plan-study.ts';
import { loadStudy, loadTrials, type TrialRow } from '../../optimise/study-repo.ts';
import type { Ask } from '../../trading/governance/user-action.ts';
import { tradingScope } from '../../trading/scope.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { reviewStrategyVersion } from '../../trading/strategies/review-strategy-version.ts';
import {
  insertVersion,
  listVersions,
  setVersionStatus,
  suitableProfiles,
} from '../../trading/strategies/strategy-versions.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { demoDb, fixtureBacktestOptions } from '../helpers/pipeline.ts';
import { runBacktest } from '../../backtest/run-backtest.ts';
import { pointParams } from '../../optimise/trial-plan.ts';
import { outOfSampleScore } from '../../optimise/settle-study.ts';
import { StudyReport } from '../../optimise/study-outcome.ts';
import { renderStudy } from '../../optimise/render-study.ts';

// Two months: a trial's backtest costs in proportion to its bars. Over these two, what trades
// now (the configured breakout) scores below every seed's winner, so a winner is proposed;
// the seeds below were picked for the situations each case needs on this span.
const options = (o: Partial<StudyOptions> = {}): StudyOptions => ({
  strategies: ['breakout'],
  symbols: ['BTC/USDT'],
  from: new Date('2024-02-01T00:00:00Z'),
  to: new Date('2024-04-01T00:00:00Z'),
  timeframe: '1h',
  exchange: 'binance',
  pipelineId: 'default',
  trials: 8,
  method: 'tpe',
  gridLevels: 3,
  windows: 2,
  mode: 'rolling',
  objective: 'sortino',
  minTrades: 1,
  seed: 7,
  workers: 2,
  initialEquity: 10_000,
  feeBps: 10,
  slippageBps: 5,
  historyBars: 300,
  env: process.env,
  ...o,
});

/** What a trial found, without its wall-clock time. */
const found = (rows: TrialRow[]) => rows.map(({ duration_ms: _ms, ...t }) => t);
const yes: Ask = { confirm: async () => true, phrase: async () => '', pin: async () => 'pin123456' };

describe.each(backends)('optimiser studies on %s', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb(kind);
  }, 300_000);
  afterAll(async () => db?.dispose());

  const audits = async (study: string) =>
    (
      await db.query<{ action_type: string; status: string }>(
        `select action_type, status from audit_trail where entity_id = $1 order by seq`,
        [study],
      )
    ).map((a) => `${a.action_type} ${a.status}`);

  it('gives the same study for the same seed and workers, trial for trial; resumes a stopped one without repeating a trial', async () => {
    const first = await optimise(db, { options: options() });
    const second = await optimise(db, { options: options() });
    const a = await loadTrials(db, first.study_id);
    expect(a).toHaveLength(8);
    expect(found(await loadTrials(db, second.study_id))).toEqual(found(a));
    expect(second.strategies).toEqual(first.strategies);
    expect(await audits(first.study_id)).toEqual(['OPTIMIZATION_RUN PENDING', 'OPTIMIZATION_RUN SUCCESS']);

    // A report stored before studies compared with what trades now (no incumbent, assignment or comparison) still reads.
    const stored = JSON.parse(JSON.stringify(first)) as Record<string, unknown> & {
      strategies: object[];
      proposals: object[];
    };
    delete stored.assignment;
    for (const s of stored.strategies)
      for (const k of ['incumbent', 'markets']) delete (s as Record<string, unknown>)[k];
    for (const p of stored.proposals)
      for (const k of ['comparison', 'markets']) delete (p as Record<string, unknown>)[k];
    const old = StudyReport.parse(stored);
    expect(old.strategies[0]!.incumbent).toBeNull();
    expect(renderStudy(old)).not.toContain('what trades now');
    expect(renderStudy(first)).toContain('what trades now (its configured rows) on the same windows');

    // Stopped after three trials (as SIGTERM stops it): the study stays resumable, its trials kept.
    let started = '';
    let seen = 0;
    await expect(
      optimise(
        db,
        { options: options() },
        {
          onStart: (id) => void (started = id),
          onProgress: () => {
            if (++seen === 3) throw new TraderError('INTERRUPTED', 'stopped by the test');
          },
        },
      ),
    ).rejects.toThrow('stopped by the test');
    const kept = await loadTrials(db, started);
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThan(8);
    expect((await loadStudy(db, started)).status).toBe('running');

    const resumed = await optimise(db, { resume: started });
    const all = await loadTrials(db, started);
    // A trial run twice would break optimiser_trials' primary key; the kept ones are the same rows.
    expect(found(all)).toEqual(found(a));
    expect(
      found(all.filter((t) => kept.some((k) => k.window_index === t.window_index && k.trial_no === t.trial_no))),
    ).toEqual(found(kept));
    expect(resumed.strategies).toEqual(first.strategies);
    await expectTraderError(optimise(db, { resume: started }), 'BAD_INPUT', /has finished/);
  }, 300_000);

  it('gives a trial exactly the figures `trader backtest` reports for its parameters, memo of the shared modules and all', async () => {
    // Four trials: the fourth is the one compared, and a window's first ten are random points of
    // the seed and their number alone (samplers.ts), so it is the same trial as in a longer study.
    const report = await optimise(db, {
      options: options({ strategies: ['trend_following'], trials: 4, windows: 1, workers: 1, seed: 5 }),
    });
    const trials = await loadTrials(db, report.study_id);
    expect(trials).toHaveLength(4);
    const window = report.strategies[0]!.windows[0]!;
    // Trials after the first start from the memo the first one filled; the fourth also differs from it in parameters.
    const trial = trials.find((t) => t.trial_no === 3 && t.metrics !== null)!;
    const scope = tradingScope('TEST');
    const version = await insertVersion(db, {
      strategy_id: 'trend_following',
      params: pointParams(trial.params),
      suitable_risk_profiles: suitableProfiles('medium'),
      markets: null,
      study_id: report.study_id,
      report: null,
    });
    await setVersionStatus(db, scope, {
      strategy_id: 'trend_following',
      version,
      status: 'ACTIVE',
      by: 'test',
      note: null,
    });
    try {
      const backtest = await runBacktest(
        db,
        fixtureBacktestOptions({
          symbols: ['BTC/USDT'],
          strategyId: 'trend_following',
          from: new Date(window.fit.from),
          to: new Date(window.fit.to),
          historyBars: 300,
          riskProfile: 'medium',
          env: process.env,
        }),
      );
      const { per_bar: _moments, ...metrics } = trial.metrics!;
      expect(metrics).toEqual(backtest.report.total);
      expect(metrics.trades).toBeGreaterThan(0);
    } finally {
      await db.query(
        `update trading_test.strategy_status set status = 'RETIRED' where strategy_id = 'trend_following'`,
      );
    }
  }, 300_000);

  it('never lets a trial past the drawdown limit or short of trades win; nothing is proposed when none is feasible', async () => {
    // A window's first trials are random, so the same seed tries the same points whatever the
    // limit: a limit between their drawdowns makes some infeasible and leaves the others.
    const free = await loadTrials(db, (await optimise(db, { options: options({ minTrades: 3, seed: 3 }) })).study_id);
    const drawdowns = free
      .flatMap((t) => (t.metrics && t.metrics.trades >= 3 ? [t.metrics.max_drawdown_pct] : []))
      .sort((a, b) => a - b);
    const middle = Math.floor(drawdowns.length / 2);
    const limit = (drawdowns[middle - 1]! + drawdowns[middle]!) / 2;
    await db.query(
      `update trading_test.risk_profiles set optimizer_max_strategy_drawdown_pct = $1 where profile = 'medium'`,
      [limit],
    );
    try {
      const report = await optimise(db, { options: options({ minTrades: 3, seed: 3 }) });
      const trials = await loadTrials(db, report.study_id);
      for (const t of trials) {
        const breaks = t.metrics === null || t.metrics.max_drawdown_pct > limit || t.metrics.trades < 3;
        if (breaks) expect(t.score).toBeNull();
        expect(t.score === null).toBe(t.infeasible !== null);
      }
      expect(report.strategies[0]!.windows.some((w) => w.in_sample !== null)).toBe(true);
      for (const w of report.strategies[0]!.windows) {
        if (w.in_sample === null) continue;
        expect(w.in_sample.max_drawdown_pct).toBeLessThanOrEqual(limit);
        expect(w.in_sample.trades).toBeGreaterThanOrEqual(3);
      }
      expect(trials.some((t) => t.infeasible?.includes("passes the profile's limit"))).toBe(true);

      await db.query(
        `update trading_test.risk_profiles set optimizer_max_strategy_drawdown_pct = 0.001 where profile = 'medium'`,
      );
      const none = await optimise(db, { options: options({ trials: 4 }) });
      expect(none.strategies[0]!.best).toBeNull();
      expect(none.proposals).toMatchObject([
        { strategy_id: 'breakout', version: null, status: null, reason: 'no feasible trial in the last window' },
      ]);
    } finally {
      await db.query(
        `update trading_test.risk_profiles set optimizer_max_strategy_drawdown_pct = 20 where profile = 'medium'`,
      );
    }
  }, 300_000);

  it('weighs the live record of what trades now: a strong paper record keeps it, and the winner is not proposed', async () => {
    const study = options({ seed: 11 });
    // Twelve steady paper trades of the breakout strategy as configured (no version) in the last weeks, three small losses.
    for (let i = 0; i < 12; i++) {
      const closed = new Date(Date.now() - (30 - 2 * i) * 86_400_000);
      await db.query(
        `insert into trading_test.positions (exchange, symbol, timeframe, category, side, qty, open_qty, entry_price,
           stop_price, margin, risk_amount, risk_pct, status, opened_at, checked_through, closed_at, close_reason,
           realized_pnl, fees_paid, strategy_id, strategy_version)
         values ('binance', 'BTC/USDT', '1h', 'major', 'long', 1, 0, 100, 99, 100, 100, 1, 'closed', $1, $1, $2,
           'take_profit', $3, 1, 'breakout', null)`,
        [new Date(closed.getTime() - 3_600_000), closed, i % 4 === 3 ? -19 : 151 + (i % 2)],
      );
    }
    await db.query('update trading_test.state set live_performance_feedback_weight = 1');
    try {
      const kept = await optimise(db, { options: study });
      const { version, reason } = kept.proposals[0]!;
      const comparison = kept.proposals[0]!.comparison!;
      expect(comparison.incumbent).toMatchObject({ version: null, live: { trades: 12, weight: 1 } });
      // Weight 1: the final score is the live score alone; the winner's is its out-of-sample score.
      expect(comparison.incumbent.final_score).toBe(comparison.incumbent.live.score);
      expect(comparison.incumbent.final_score!).toBeGreaterThan(comparison.candidate_score!);
      expect(version).toBeNull();
      expect(reason).toMatch(
        /^what trades now \(its configured rows\) scores [\d.]+ against the winner's [\d.-]+; it stays$/,
      );

      await db.query('update trading_test.state set live_performance_feedback_weight = 0');
      const backtestOnly = await optimise(db, { options: study });
      const c = backtestOnly.proposals[0]!.comparison!;
      expect(c.incumbent.final_score).toBe(c.incumbent.backtest_score);
      expect(c.candidate_score).toBe(comparison.candidate_score);
      expect(backtestOnly.proposals[0]!.version !== null).toBe(
        c.incumbent.final_score === null || c.candidate_score! > c.incumbent.final_score,
      );
      if (backtestOnly.proposals[0]!.version !== null)
        await reviewStrategyVersion(
          db,
          tradingScope('TEST'),
          { strategyId: 'breakout', verb: 'reject', note: null, by: 'test' },
          yes,
        );
    } finally {
      await db.query('update trading_test.state set live_performance_feedback_weight = 0');
      await db.query(`delete from trading_test.positions where strategy_id = 'breakout'`);
    }
  }, 300_000);

  it('compares several strategies per market and assigns each market the best; an approved version trades its markets', async () => {
    const report = await optimise(db, {
      options: options({
        strategies: ['breakout', 'mean_reversion'],
        symbols: ['BTC/USDT', 'ETH/USDT'],
        trials: 4,
        seed: 21,
      }),
    });
    expect(report.assignment.map((a) => a.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
    for (const a of report.assignment) {
      for (const s of report.strategies) {
        // Each market's score is the strategy's winners traded on that market alone, out of sample.
        const alone = s.markets!.find((m) => m.symbol === a.symbol)!.out_of_sample;
        expect(a.scores[s.strategy_id]).toBe(outOfSampleScore(report.request, alone).value);
      }
      const feasible = Object.entries(a.scores).filter((e): e is [string, number] => e[1] !== null);
      expect(a.strategy_id).toBe(feasible.sort((x, y) => y[1] - x[1])[0]?.[0] ?? null);
    }
    for (const p of report.proposals)
      expect(p.markets).toEqual(report.assignment.filter((a) => a.strategy_id === p.strategy_id).map((a) => a.symbol));

    // Approving a version assigns it its markets: the planner then trades it there, whatever asset_config says.
    const scope = tradingScope('TEST');
    const version = await insertVersion(db, {
      strategy_id: 'mean_reversion',
      params: {},
      suitable_risk_profiles: suitableProfiles('medium'),
      markets: ['ETH/USDT'],
      study_id: report.study_id,
      report: null,
    });
    await setVersionStatus(db, scope, {
      strategy_id: 'mean_reversion',
      version,
      status: 'PROPOSED',
      by: 'test',
      note: null,
    });
    const reviewed = await reviewStrategyVersion(
      db,
      scope,
      { strategyId: 'mean_reversion', verb: 'approve', note: null, by: 'test' },
      yes,
    );
    expect(reviewed).toMatchObject({ status: 'ACTIVE', markets: ['ETH/USDT'] });
    const [audit] = await db.query<{ details: { assigned_markets: string[] } }>(
      `select details from audit_trail where entity_id = $1 and action_type = 'STRATEGY_PROPOSAL_REVIEWED'`,
      [`mean_reversion@${version}`],
    );
    expect(audit!.details.assigned_markets).toEqual(['ETH/USDT']);
    try {
      const { plans } = await preparePlans(db, {
        pipelineId: 'default',
        strategyId: null,
        symbols: ['BTC/USDT', 'ETH/USDT'],
        riskProfile: 'medium',
      });
      expect(plans.get('ETH/USDT')).toMatchObject({ strategy_id: 'mean_reversion', strategy_version: version });
      expect(plans.get('BTC/USDT')!.strategy_id).not.toBe('mean_reversion');
    } finally {
      await db.query(`delete from trading_test.market_strategy`);
      await db.query(`update trading_test.strategy_status set status = 'RETIRED' where strategy_id = 'mean_reversion'`);
    }
  }, 300_000);

  it('proposes the winner for approval by default; approval makes the planner trade it, rejection keeps what trades', async () => {
    const scope = tradingScope('TEST');
    const report = await optimise(db, { options: options({ seed: 11 }) });
    const [proposal] = report.proposals;
    expect(proposal).toMatchObject({ strategy_id: 'breakout', status: 'PROPOSED' });
    const version = proposal!.version!;
    expect(await audits(`breakout@${version}`)).toEqual(['STRATEGY_PROPOSED SUCCESS']);

    const plansNow = async () =>
      (
        await preparePlans(db, {
          pipelineId: 'default',
          strategyId: 'breakout',
          symbols: ['BTC/USDT'],
          riskProfile: 'medium',
        })
      ).plans.get('BTC/USDT')!;
    expect((await plansNow()).strategy_version).toBeUndefined();

    await reviewStrategyVersion(db, scope, { strategyId: 'breakout', verb: 'approve', note: null, by: 'test' }, yes);
    const plan = await plansNow();
    expect(plan.strategy_version).toBe(version);
    const best = report.strategies[0]!.best!.params;
    for (const [name, value] of Object.entries(best)) {
      const [module, param] = name.split('.') as [string, string];
      expect(plan.slots.find((s) => s.module_id === module)!.params[param]).toEqual(value);
    }

    // Seed 20's winner scores above the version just approved on the same windows (most seeds' do not: they are not proposed).
    const next = await optimise(db, { options: options({ seed: 20 }) });
    const rejected = next.proposals[0]!.version!;
    await reviewStrategyVersion(
      db,
      scope,
      { strategyId: 'breakout', verb: 'reject', note: 'not convinced', by: 'test' },
      yes,
    );
    const versions = await listVersions(db, scope, { strategyId: 'breakout' });
    expect(versions.find((v) => v.version === rejected)).toMatchObject({ status: 'REJECTED', note: 'not convinced' });
    expect(versions.find((v) => v.version === version)).toMatchObject({ status: 'ACTIVE' });
    expect((await plansNow()).strategy_version).toBe(version);
    await expectTraderError(
      reviewStrategyVersion(db, scope, { strategyId: 'breakout', verb: 'approve', note: null, by: 'test' }, yes),
      'NOT_FOUND',
      /no pending proposal in TEST/,
    );

    // Without required approval a winner trades at once, but only on a positive out-of-sample record.
    await db.query('update trading_test.state set require_strategy_approval = false');
    try {
      const auto = await optimise(db, { options: options({ seed: 18 }) });
      const p = auto.proposals[0]!;
      const s = auto.strategies[0]!;
      if (s.out_of_sample.total_return_pct > 0 && s.out_of_sample.max_drawdown_pct <= 20)
        expect(p.status).toBe('ACTIVE');
      else expect(p).toMatchObject({ status: 'PROPOSED', reason: expect.stringMatching(/not positive|drawdown/) });
    } finally {
      await db.query('update trading_test.state set require_strategy_approval = true');
    }
  }, 300_000);

  it('asks for the master PIN before a LIVE strategy version trades, and audits the refusal', async () => {
    const live = tradingScope('LIVE');
    const version = await insertVersion(db, {
      strategy_id: 'mean_reversion',
      params: { mean_reversion_v1: { bb_period: 30 } },
      suitable_risk_profiles: suitableProfiles('low'),
      markets: null,
      study_id: null,
      report: null,
    });
    await setVersionStatus(db, live, {
      strategy_id: 'mean_reversion',
      version,
      status: 'PROPOSED',
      by: 'test',
      note: null,
    });
    await expectTraderError(
      reviewStrategyVersion(db, live, { strategyId: 'mean_reversion', verb: 'approve', note: null, by: 'test' }, yes),
      'CONFIG_INVALID',
      /No master PIN is set/,
    );
    const [refusal] = await db.query<{ status: string; details: { error: string } }>(
      `select status, details from audit_trail where mode = 'LIVE' and action_type = 'STRATEGY_PROPOSAL_REVIEWED' order by seq desc limit 1`,
    );
    expect(refusal).toMatchObject({ status: 'FAILURE', details: { error: expect.stringMatching(/No master PIN/) } });
    await initPin(db, 'pin123456');
    await reviewStrategyVersion(
      db,
      live,
      { strategyId: 'mean_reversion', verb: 'approve', note: null, by: 'test' },
      yes,
    );
    expect((await listVersions(db, live, { strategyId: 'mean_reversion' }))[0]).toMatchObject({ status: 'ACTIVE' });
    // TEST is untouched by a LIVE approval.
    expect((await listVersions(db, tradingScope('TEST'), { strategyId: 'mean_reversion' }))[0]!.status).toBeNull();
  }, 120_000);
});
