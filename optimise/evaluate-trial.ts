import { isTraderError } from '../core/errors.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { scoreTrial } from './objective.ts';
import { returnMoments } from './overfitting.ts';
import type { Point } from './space.ts';
import type { StrategyStudy } from './strategy-study.ts';
import type { TrialRow } from './study-repo.ts';
import type { StrategySpace } from './study-request.ts';
import { brokenTie, pointParams, trialPlans } from './trial-plan.ts';
import { replayTrial, type TrialOutcome } from './trial-runner.ts';
import type { Window } from './walk-forward.ts';

/**
 * One trial's evaluation, the only one: the coordinator's lanes (a local study) and the
 * workers' trial jobs (a distributed one) both call `evaluatePoint`, so a trial scores the
 * same wherever it runs.
 */

/** What a trial stores besides its number and point. */
export type TrialFields = Omit<TrialRow, 'trial_no' | 'params'>;

/** Errors a parameter combination can cause in a module: the trial is infeasible, the study goes on. */
const trialFaults = new Set(['MODULE_FAILED', 'CONTRACT_OUTPUT', 'CONTRACT_INPUT', 'TIMEOUT']);

/** The plans of a point, or why it cannot run: a broken tie or a value a module refuses. */
export function plansOf(
  base: ReadonlyMap<string, Plan>,
  space: StrategySpace,
  point: Point,
): Map<string, Plan> | string {
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

/** Scores `point` on window `w`'s fitting span, on `sandbox` (a module worker of its own). */
export async function evaluatePoint(s: StrategyStudy, w: Window, point: Point, sandbox: Sandbox): Promise<TrialFields> {
  const started = performance.now();
  const r = s.request;
  const row = (fields: Pick<TrialRow, 'metrics' | 'score' | 'infeasible'>): TrialFields => ({
    strategy_id: s.strategyId,
    window_index: w.index,
    ...fields,
    duration_ms: Math.round(performance.now() - started),
  });
  const plans = plansOf(s.base, s.space, point);
  if (typeof plans === 'string') return row({ metrics: null, score: null, infeasible: plans });
  let outcome: TrialOutcome;
  try {
    outcome = await replayTrial(sandbox, s.data, plans, w.fit, {
      id: `${s.studyId}|${s.strategyId}|${w.index}`,
      tuned: s.tuned,
    });
  } catch (e) {
    if (isTraderError(e) && trialFaults.has(e.code)) return row({ metrics: null, score: null, infeasible: e.message });
    throw e;
  }
  const metrics = { ...outcome.metrics, per_bar: returnMoments(outcome.curve.equity) };
  if (outcome.halted) return row({ metrics, score: null, infeasible: outcome.halted });
  const score = scoreTrial(outcome.metrics, r.objective, {
    maxDrawdownPct: r.max_drawdown_pct,
    minTrades: r.min_trades,
  });
  return row({ metrics, score: score.value, infeasible: score.infeasible });
}
