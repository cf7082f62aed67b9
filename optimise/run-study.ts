import type { PreparedBacktest } from '../backtest/backtest-setup.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import { loadMacroTimeline } from '../market/macro/macro-timeline.ts';
import { releaseSandbox, warmSandbox } from '../sandbox/probe.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import type { Db } from '../store/db.ts';
import { queueBatch } from './distributed-batch.ts';
import { evaluatePoint, plansOf } from './evaluate-trial.ts';
import { gridSampler, randomSampler, tpeSampler, type Sampler } from './samplers.ts';
import type { Space } from './space.ts';
import { bestTrial, fitWindow, laneBatch, type RunBatch } from './fit-window.ts';
import { loadStrategyStudy, studySpan, studyWindows, type StrategyStudy } from './strategy-study.ts';
import { insertTrial, loadTrials } from './study-repo.ts';
import { strategyReport, type TestOutcome, type WindowResult } from './strategy-report.ts';
import type { MeasuredReport } from './study-report.ts';
import { trialsPerWindow, type StudyRequest } from './study-request.ts';
import type { TrialQueue } from './trial-queue.ts';
import { replayTrial, type StudyData } from './trial-runner.ts';
import type { Span, Window } from './walk-forward.ts';

export interface StudyProgress {
  strategy_id: string;
  window: number;
  /** Trials finished in the whole study (resumed ones included) and its total. */
  done: number;
  total: number;
  /** The best feasible score of the current window so far. */
  best: number | null;
}

function samplerFor(r: StudyRequest, space: Space, strategyIndex: number, window: number): Sampler {
  // Each strategy and window draws from its own stream; the same seed gives the same study.
  const seed = (Math.imul(r.seed, 0x01000193) + strategyIndex * 7919 + window * 104_729) >>> 0;
  if (r.method === 'grid') return gridSampler(space, r.grid_levels);
  return r.method === 'random' ? randomSampler(space, seed) : tpeSampler(space, seed);
}

/** The test span of a window with no feasible winner: no trade, the equity flat at its start. */
function flatOutcome(prepared: PreparedBacktest, span: Span): TestOutcome {
  const ts = prepared.markets[0]!.full.ts.filter((t) => t >= span.from.getTime() && t < span.to.getTime());
  const equity = ts.map(() => prepared.request.initial_equity);
  return { metrics: null, curve: { ts, equity }, trades: [], exposed: 0 };
}

/** A window's winner (null: none) on a test span, with the study's markets together. */
const testSpan = (lane: Sandbox, data: StudyData, plans: ReadonlyMap<string, Plan> | null, span: Span) =>
  plans ? replayTrial(lane, data, plans, span) : Promise.resolve(flatOutcome(data.prepared, span));

/** The same, each market traded alone: how a multi-strategy study compares strategies per market. */
async function testSpanAlone(lane: Sandbox, data: StudyData, plans: ReadonlyMap<string, Plan> | null, span: Span) {
  const out = new Map<string, TestOutcome>();
  for (const m of data.prepared.markets) {
    const alone = { ...data, prepared: { ...data.prepared, markets: [m] } };
    out.set(m.instrument.symbol, await testSpan(lane, alone, plans, span));
  }
  return out;
}

/** Where a window's batches run: the coordinator's own lanes, or workers through the queue. */
function batchRunner(db: Db, s: StrategyStudy, w: Window, lanes: readonly Sandbox[], queue?: TrialQueue): RunBatch {
  if (queue) return queueBatch(db, queue, { study_id: s.studyId, strategy_id: s.strategyId, window_index: w.index });
  return laneBatch(
    lanes,
    (point, sandbox) => evaluatePoint(s, w, point, sandbox),
    async (row) => void (await insertTrial(db, s.studyId, row)),
  );
}

/**
 * Runs (or resumes) a stored study: per strategy, per walk-forward window, the trials of
 * its fitting span, then the window's winner on its test span. Trials are stored as they
 * finish; those already stored are never run again. The candles are read once per
 * strategy, trials replay on `workers` module workers side by side (or, `distributed`, as
 * jobs for `trader worker` processes, still `workers` to a batch, so the same seed gives
 * the same trials), and nothing but the trials is written: the report is returned for the
 * caller to store with its outcome. The test-span replays always run here.
 */
export async function runStudy(
  db: Db,
  studyId: string,
  r: StudyRequest,
  hooks: { onProgress?: (p: StudyProgress) => void; env?: NodeJS.ProcessEnv; distributed?: TrialQueue } = {},
): Promise<MeasuredReport[]> {
  const stored = await loadTrials(db, studyId);
  const windows = studyWindows(r);
  const perWindow = trialsPerWindow(r);
  const total = perWindow * windows.length * r.strategies.length;
  let done = stored.length;
  const macro = await loadMacroTimeline(db, studySpan(r));
  // Distributed, this process replays only the test spans: one module worker is enough.
  const laneCount = hooks.distributed ? 1 : r.workers;
  const lanes = Array.from({ length: laneCount }, (_, i) => (i === 0 ? warmSandbox() : new Sandbox()));
  try {
    const reports: MeasuredReport[] = [];
    for (const [strategyIndex, strategyId] of r.strategies.entries()) {
      const study = await loadStrategyStudy(db, { studyId, request: r, strategyId, macro, env: hooks.env });
      const { data, base, space } = study;
      const prepared = data.prepared;
      const results: WindowResult[] = [];
      for (const w of windows) {
        let best: number | null = null;
        const trials = await fitWindow({
          trials: perWindow,
          batchSize: r.workers,
          sampler: samplerFor(r, new Map(space.dimensions), strategyIndex, w.index),
          done: stored.filter((t) => t.strategy_id === strategyId && t.window_index === w.index),
          runBatch: batchRunner(db, study, w, lanes, hooks.distributed),
          onStored: (row) => {
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
