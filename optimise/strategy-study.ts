import { prepareBacktest } from '../backtest/backtest-setup.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { MacroTimelineSource } from '../market/macro/macro-timeline.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import type { Db } from '../store/db.ts';
import type { StrategySpace, StudyRequest } from './study-request.ts';
import type { StudyData } from './trial-runner.ts';
import { walkForwardWindows, type Window } from './walk-forward.ts';

/**
 * What every trial of one strategy in one study shares, read once: the candles and plans
 * (StudyData), the planned plans the trials override, the strategy's space and the modules
 * it tunes. The coordinator builds it per strategy; a worker per (study, strategy) it serves
 * (study-data-cache.ts), from the stored request alone, so both evaluate on the same data.
 */
export interface StrategyStudy {
  studyId: string;
  strategyId: string;
  request: StudyRequest;
  data: StudyData;
  base: ReadonlyMap<string, Plan>;
  space: StrategySpace;
  /** Modules a trial may change: the prefix memo shares only the slots before them. */
  tuned: string[];
}

/** The study's span as dates. */
export const studySpan = (r: StudyRequest) => ({ from: new Date(r.from), to: new Date(r.to) });

/** The study's walk-forward windows, as the request fixes them. */
export function studyWindows(r: StudyRequest): Window[] {
  return walkForwardWindows(studySpan(r), {
    windows: r.windows,
    mode: r.mode,
    timeframeMs: parseTimeframe(r.timeframe),
    fitSegments: r.fit_segments,
  });
}

export async function loadStrategyStudy(
  db: Db,
  s: {
    studyId: string;
    request: StudyRequest;
    strategyId: string;
    macro: MacroTimelineSource | null;
    env?: NodeJS.ProcessEnv;
  },
): Promise<StrategyStudy> {
  const r = s.request;
  const span = studySpan(r);
  const loaded = await prepareBacktest(db, {
    symbols: r.symbols,
    exchange: r.exchange,
    timeframe: r.timeframe,
    from: span.from,
    to: span.to,
    pipelineId: r.pipeline_id,
    strategyId: s.strategyId,
    initialEquity: r.initial_equity,
    feeBps: r.fee_bps,
    slippageBps: r.slippage_bps,
    historyBars: r.history_bars,
    riskProfile: r.profile,
    env: s.env,
  });
  // Scored at 1x whatever leverage the account has: an edge must exist without it.
  const prepared = { ...loaded, request: { ...loaded.request, leverage: 1 } };
  const space = r.spaces[s.strategyId]!;
  return {
    studyId: s.studyId,
    strategyId: s.strategyId,
    request: r,
    data: { prepared, macro: s.macro, runId: s.studyId },
    base: new Map(prepared.markets.map((m) => [m.instrument.symbol, m.plan])),
    space,
    tuned: [
      ...new Set([...space.dimensions.map(([n]) => n), ...Object.keys(space.fixed)].map((n) => n.split('.')[0]!)),
    ],
  };
}
