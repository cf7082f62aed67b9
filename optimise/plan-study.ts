import { TraderError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';
import { assertNoProblems, preparePlans } from '../engine/plan/prepare.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import { readConfig } from '../registry/config-repo.ts';
import type { Db } from '../store/db.ts';
import { systemModeFromEnv, tradingScope, tradingTx } from '../trading/scope.ts';
import { loadRiskProfile, loadState, RiskProfileName } from '../trading/state-repo.ts';
import { z } from 'zod';
import { gridSampler } from './samplers.ts';
import { moduleDimensions, narrowSpace, type Dimension } from './space.ts';
import { shippedSpaces } from './shipped-spaces.ts';
import { parseTie, StudyFileStrategy } from './study-file.ts';
import {
  BasisPoints,
  StudyMethod,
  studyField,
  trialsPerWindow,
  type StrategySpace,
  type StudyRequest,
} from './study-request.ts';
import { walkForwardWindows } from './walk-forward.ts';

/**
 * How a study searches, scores and simulates: what `trader optimise` and a scheduled study
 * (`schedule add --job optimise`, stored in schedules.job_args) are given besides their
 * strategies, markets and span. Bounds as the CLI documents them.
 */
export const StudySettings = z.object({
  /** The target profile; absent: the mode's active one. */
  profile: RiskProfileName.optional(),
  ...studyField,
  method: StudyMethod,
  initialEquity: z.number().positive(),
  feeBps: BasisPoints,
  slippageBps: BasisPoints,
  /** A study file's strategies section (replaces the shipped space of each strategy it names). */
  studyFile: z.record(z.string(), StudyFileStrategy).optional(),
});
export type StudySettings = z.infer<typeof StudySettings>;

/** What `trader optimise` was asked, before the database fills in the rest. */
export interface StudyOptions extends StudySettings {
  strategies: string[];
  symbols: string[];
  from: Date;
  to: Date;
  timeframe: string;
  exchange: string;
  pipelineId: string;
  historyBars: number;
  env?: NodeJS.ProcessEnv;
}

/** Every dimension the plan's modules declare, by `<module_id>.<param>`, and which of them agents own. */
function declaredSpace(plan: Plan): { all: Map<string, Dimension>; agents: Map<string, Dimension> } {
  const all = new Map<string, Dimension>();
  const agents = new Map<string, Dimension>();
  for (const slot of plan.slots) {
    const { dimensions } = moduleDimensions(slot.module_id, slot.module.manifest.params);
    for (const [name, d] of dimensions) {
      all.set(name, d);
      if (slot.stage === 'agent') agents.set(name, d);
    }
  }
  return { all, agents };
}

/** The resolved space of one strategy: the study file's, else the shipped one, else its agents' declared parameters. */
function strategySpace(
  strategyId: string,
  plan: Plan,
  file: StudyFileStrategy | undefined,
  riskRuleParams: ReadonlySet<string>,
): StrategySpace {
  const { all, agents } = declaredSpace(plan);
  const chosen = file ?? shippedSpaces[strategyId];
  const parsed = chosen ? StudyFileStrategy.parse(chosen) : null;
  const dims = parsed ? narrowSpace(all, parsed.space) : agents;
  if (dims.size === 0)
    throw new TraderError(
      'BAD_INPUT',
      `Strategy ${quote(strategyId)} has no parameter to search: give a study file (--study) naming some.`,
    );
  for (const name of dims.keys())
    if (riskRuleParams.has(name))
      throw new TraderError(
        'BAD_INPUT',
        `${name} is set by a risk_config rule, which always wins over a strategy's parameters; leave it out of the study or remove the rule.`,
      );
  const ties = (parsed?.ties ?? []).map(parseTie);
  for (const t of ties)
    for (const side of [t.left, t.right])
      if (dims.get(side)?.kind === 'choice' || !dims.has(side))
        throw new TraderError('BAD_INPUT', `The tie on ${side} names no numeric dimension of the study's space.`);
  return { dimensions: [...dims.entries()].sort(([a], [b]) => a.localeCompare(b)), ties, fixed: parsed?.fixed ?? {} };
}

/**
 * Reads everything a study needs once and checks it whole before any backtest: the target
 * profile and its drawdown limit, each strategy's plans (the planner's every problem), its
 * search space, the walk-forward windows and the grid's size. Returns the request to store.
 */
export async function planStudy(db: Db, o: StudyOptions): Promise<StudyRequest> {
  const system_mode = systemModeFromEnv(o.env);
  const scope = tradingScope(system_mode);
  const { profile, maxDrawdown } = await tradingTx(db, scope, async (tx) => {
    const p = await loadRiskProfile(tx, scope, o.profile ?? (await loadState(tx, scope)).risk_profile);
    const [row] = await tx.query<{ pct: string }>(
      `select optimizer_max_strategy_drawdown_pct::text as pct from ${scope.table('risk_profiles')} where profile = $1`,
      [p.profile],
    );
    return { profile: p, maxDrawdown: Number(row!.pct) };
  });
  const timeframeMs = parseTimeframe(o.timeframe);
  walkForwardWindows({ from: o.from, to: o.to }, { windows: o.windows, mode: o.mode, timeframeMs });
  if (new Set(o.strategies).size !== o.strategies.length)
    throw new TraderError('BAD_INPUT', 'A strategy is listed twice in --strategy.');
  for (const name of Object.keys(o.studyFile ?? {}))
    if (!o.strategies.includes(name))
      throw new TraderError('BAD_INPUT', `The study file names ${quote(name)}, which is not in --strategy.`);
  const config = await readConfig(db);
  const riskRuleParams = new Set(
    config.risk
      .filter((r) => r.module_id !== null && (r.profile === null || r.profile === profile.profile))
      .flatMap((r) => Object.keys(r.params).map((p) => `${r.module_id}.${p}`)),
  );
  const spaces: Record<string, StrategySpace> = {};
  for (const strategyId of o.strategies) {
    if (!config.strategies.some((s) => s.strategy_id === strategyId))
      throw new TraderError(
        'NOT_FOUND',
        `No strategy ${quote(strategyId)} in strategy_config; known: ${[...new Set(config.strategies.map((s) => s.strategy_id))].join(', ') || 'none'}.`,
      );
    const prepared = await preparePlans(db, {
      pipelineId: o.pipelineId,
      strategyId,
      symbols: o.symbols,
      riskProfile: profile.profile,
      env: o.env,
    });
    assertNoProblems(o.pipelineId, prepared.problems);
    spaces[strategyId] = strategySpace(
      strategyId,
      prepared.plans.get(o.symbols[0]!)!,
      o.studyFile?.[strategyId],
      riskRuleParams,
    );
  }
  const request: StudyRequest = {
    system_mode,
    pipeline_id: o.pipelineId,
    strategies: o.strategies,
    symbols: o.symbols,
    exchange: o.exchange,
    timeframe: o.timeframe,
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    profile: profile.profile,
    max_drawdown_pct: maxDrawdown,
    trials: o.trials,
    method: o.method,
    grid_levels: o.gridLevels,
    windows: o.windows,
    mode: o.mode,
    fit_segments: 3,
    objective: o.objective,
    min_trades: o.minTrades,
    seed: o.seed,
    workers: o.workers,
    initial_equity: o.initialEquity,
    fee_bps: o.feeBps,
    slippage_bps: o.slippageBps,
    history_bars: o.historyBars,
    spaces,
  };
  if (o.method === 'grid')
    for (const [id, s] of Object.entries(spaces)) {
      const size = gridSampler(new Map(s.dimensions), o.gridLevels).size;
      if (size > trialsPerWindow(request))
        throw new TraderError(
          'BAD_INPUT',
          `The grid of ${quote(id)} has ${size} points, more than the ${trialsPerWindow(request)} trials each window gets; raise --trials or lower --grid-levels.`,
        );
    }
  return request;
}
