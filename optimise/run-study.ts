import { prepareBacktest, type PreparedBacktest } from '../backtest/backtest-setup.ts';
import { isTraderError } from '../core/errors.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import { loadMacroTimeline } from '../market/macro/macro-timeline.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import { releaseSandbox, warmSandbox } from '../sandbox/probe.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import type { Db } from '../store/db.ts';
import { scoreTrial } from './objective.ts';
import { returnMoments } from './overfitting.ts';
import { gridSampler, randomSampler, tpeSampler, type Sampler } from './samplers.ts';
import type { Point, Space } from './space.ts';
import { bestTrial, fitWindow, type EvaluatePoint } from './fit-window.ts';
import { insertTrial, loadTrials, type TrialRow } from './study-repo.ts';
import { strategyReport, type TestOutcome, type WindowResult } from './strategy-report.ts';
import type { MeasuredReport } from './study-report.ts';
import { trialsPerWindow, type StrategySpace, type StudyRequest } from './study-request.ts';
import { brokenTie, pointParams, trialPlans } from './trial-plan.ts';
import { replayTrial, type StudyData, type TrialOutcome } from './trial-runner.ts';
import { walkForwardWindows, type Span, type Window } from './walk-forward.ts';

export interface StudyProgress {
  strategy_id: string;
  window: number;
  /** Trials finished in the whole study (resumed ones included) and its total. */
  done: number;
  total: number;
  /** The best feasible score of the current window so far. */
  best: number | null;
}

/** Errors a parameter combination can cause in a module: the trial is infeasible, the study goes on. */
const trialFaults = new Set(['MODULE_FAILED', 'CONTRACT_OUTPUT', 'CONTRACT_INPUT', 'TIMEOUT']);

function samplerFor(r: StudyRequest, space: Space, strategyIndex: number, window: number): Sampler {
  // Each strategy and window draws from its own stream; the same seed gives the same study.
  const seed = (Math.imul(r.seed, 0x01000193) + strategyIndex * 7919 + window * 104_729) >>> 0;
  if (r.method === 'grid') return gridSampler(space, r.grid_levels);
  return r.method === 'random' ? randomSampler(space, seed) : tpeSampler(space, seed);
}

/** The plans of a point, or why it cannot run: a broken tie or a value a module refuses. */
function plansOf(base: ReadonlyMap<string, Plan>, space: StrategySpace, point: Point): Map<string, Plan> | string {
  const tie = brokenTie(point, space.ties);
  if (tie) return `broken tie: ${tie}`;
  const fixed = pointParams(space.fixed);
  const tuned = pointParams(point);
  const overrides = Object.fromEntries(
    [...new Set([...Object.keys(fixed), ...Object.keys(tuned)])].map((m) => [m, { ...fixed[m], ...tuned[m] }]),
  );
  const result = trialPlans(base, overrides);
  return 'invalid' in result ? `invalid parameters: ${result.invalid}` : result.plans;
}

/** The test span of a window with no feasible winner: no trade, the equity flat at its start. */
function flatOutcome(prepared: PreparedBacktest, span: Span): TestOutcome {
  const ts = prepared.markets[0]!.full.ts.filter((t) => t >= span.from.getTime() && t < span.to.getTime());
  const equity = ts.map(() => prepared.request.initial_equity);
  return { metrics: null, curve: { ts, equity }, trades: [], exposed: 0 };
}

/** A window's winner (null: none) on a test span, with the study's markets together. */
const testSpan = (lane: Sandbox, data: StudyData, plans: Map<string, Plan> | null, span: Span) =>
  plans ? replayTrial(lane, data, plans, span) : Promise.resolve(flatOutcome(data.prepared, span));

/** The same, each market traded alone: how a multi-strategy study compares strategies per market. */
async function testSpanAlone(lane: Sandbox, data: StudyData, plans: Map<string, Plan> | null, span: Span) {
  const out = new Map<string, TestOutcome>();
  for (const m of data.prepared.markets) {
    const alone = { ...data, prepared: { ...data.prepared, markets: [m] } };
    out.set(m.instrument.symbol, await testSpan(lane, alone, plans, span));
  }
  return out;
}

/**
 * Runs (or resumes) a stored study: per strategy, per walk-forward window, the trials of
 * its fitting span, then the window's winner on its test span. Trials are stored as they
 * finish; those already stored are never run again. The candles are read once per
 * strategy, trials replay on `workers` module workers side by side, and nothing but the
 * trials is written: the report is returned for the caller to store with its outcome.
 */
export async function runStudy(
  db: Db,
  studyId: string,
  r: StudyRequest,
  hooks: { onProgress?: (p: StudyProgress) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<MeasuredReport[]> {
  const stored = await loadTrials(db, studyId);
  const timeframeMs = parseTimeframe(r.timeframe);
  const span = { from: new Date(r.from), to: new Date(r.to) };
  const windows = walkForwardWindows(span, {
    windows: r.windows,
    mode: r.mode,
    timeframeMs,
    fitSegments: r.fit_segments,
  });
  const perWindow = trialsPerWindow(r);
  const total = perWindow * windows.length * r.strategies.length;
  let done = stored.length;
  const macro = await loadMacroTimeline(db, span);
  const lanes = Array.from({ length: r.workers }, (_, i) => (i === 0 ? warmSandbox() : new Sandbox()));
  try {
    const reports: MeasuredReport[] = [];
    for (const [strategyIndex, strategyId] of r.strategies.entries()) {
      const loaded = await prepareBacktest(db, {
        symbols: r.symbols,
        exchange: r.exchange,
        timeframe: r.timeframe,
        from: span.from,
        to: span.to,
        pipelineId: r.pipeline_id,
        strategyId,
        initialEquity: r.initial_equity,
        feeBps: r.fee_bps,
        slippageBps: r.slippage_bps,
        historyBars: r.history_bars,
        riskProfile: r.profile,
        env: hooks.env,
      });
      // Scored at 1x whatever leverage the account has: an edge must exist without it.
      const prepared = { ...loaded, request: { ...loaded.request, leverage: 1 } };
      const data: StudyData = { prepared, macro, runId: studyId };
      const base = new Map(prepared.markets.map((m) => [m.instrument.symbol, m.plan]));
      const space = r.spaces[strategyId]!;
      const tuned = [
        ...new Set([...space.dimensions.map(([n]) => n), ...Object.keys(space.fixed)].map((n) => n.split('.')[0]!)),
      ];
      const evaluateOn =
        (w: Window): EvaluatePoint =>
        async (point, sandbox) => {
          const started = performance.now();
          const row = (fields: Pick<TrialRow, 'metrics' | 'score' | 'infeasible'>) => ({
            strategy_id: strategyId,
            window_index: w.index,
            ...fields,
            duration_ms: Math.round(performance.now() - started),
          });
          const plans = plansOf(base, space, point);
          if (typeof plans === 'string') return row({ metrics: null, score: null, infeasible: plans });
          let outcome: TrialOutcome;
          try {
            outcome = await replayTrial(sandbox, data, plans, w.fit, {
              id: `${studyId}|${strategyId}|${w.index}`,
              tuned,
            });
          } catch (e) {
            if (isTraderError(e) && trialFaults.has(e.code))
              return row({ metrics: null, score: null, infeasible: e.message });
            throw e;
          }
          const metrics = { ...outcome.metrics, per_bar: returnMoments(outcome.curve.equity) };
          if (outcome.halted) return row({ metrics, score: null, infeasible: outcome.halted });
          const score = scoreTrial(outcome.metrics, r.objective, {
            maxDrawdownPct: r.max_drawdown_pct,
            minTrades: r.min_trades,
          });
          return row({ metrics, score: score.value, infeasible: score.infeasible });
        };
      const results: WindowResult[] = [];
      for (const w of windows) {
        let best: number | null = null;
        const trials = await fitWindow({
          trials: perWindow,
          sampler: samplerFor(r, new Map(space.dimensions), strategyIndex, w.index),
          lanes,
          done: stored.filter((t) => t.strategy_id === strategyId && t.window_index === w.index),
          evaluate: evaluateOn(w),
          save: async (row) => {
            await insertTrial(db, studyId, row);
            done++;
            if (row.score !== null && (best === null || row.score > best)) best = row.score;
            hooks.onProgress?.({ strategy_id: strategyId, window: w.index, done, total, best });
          },
        });
        const winner = bestTrial(trials);
        const planned = winner && plansOf(base, space, winner.params);
        const plans = planned && typeof planned !== 'string' ? planned : null;
        results.push({
          window: w,
          trials,
          winner,
          test: await testSpan(lanes[0]!, data, plans, w.test),
          // What trades today, on the same span: the comparison a proposal is judged against.
          incumbent: await testSpan(lanes[0]!, data, base, w.test),
          ...(r.strategies.length > 1 ? { alone: await testSpanAlone(lanes[0]!, data, plans, w.test) } : {}),
        });
      }
      const incumbentVersion = prepared.markets[0]!.plan.strategy_version ?? null;
      reports.push(strategyReport(strategyId, results, prepared, space, incumbentVersion));
    }
    return reports;
  } finally {
    await Promise.all(lanes.map((s, i) => (i === 0 ? releaseSandbox(s) : s.close())));
  }
}
