import { z } from 'zod';
import { MarketSymbol } from '../sdk/context-schemas.ts';
import { RiskProfileName } from '../trading/state-repo.ts';
import { SystemMode } from '../trading/scope.ts';
import { objectives } from './objective.ts';
import { Dimension } from './space.ts';

/**
 * A study as asked and stored (optimiser_studies.request). Everything a resumed study
 * needs to propose exactly what the killed one would have is here, the resolved search
 * space included: a resume never reads the study file or the shipped spaces again.
 */
export const TieSchema = z.object({ left: z.string(), op: z.enum(['<', '<=']), right: z.string() });

/** One strategy's resolved space: dimensions by name, ties, and values fixed for every trial. */
export const StrategySpace = z.object({
  dimensions: z.array(z.tuple([z.string(), Dimension])).min(1),
  ties: z.array(TieSchema),
  fixed: z.record(z.string(), z.unknown()),
});
export type StrategySpace = z.infer<typeof StrategySpace>;

export const StudyMethod = z.enum(['tpe', 'random', 'grid']);

/** The bounds of a study's settings, one place for the stored request and the settings a command or schedule gives. */
export const studyField = {
  trials: z.number().int().min(1).max(100_000),
  gridLevels: z.number().int().min(2).max(50),
  windows: z.number().int().min(1).max(50),
  mode: z.enum(['rolling', 'anchored']),
  objective: z.enum(objectives),
  minTrades: z.number().int().min(1).max(100_000),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  workers: z.number().int().min(1).max(64),
};

/** A fee or slippage in basis points. */
export const BasisPoints = z.number().min(0).max(1000);

export const StudyRequest = z.object({
  system_mode: SystemMode,
  pipeline_id: z.string().min(1),
  strategies: z.array(z.string().min(1)).min(1).max(10),
  symbols: z.array(MarketSymbol).min(1).max(50),
  exchange: z.string().min(1),
  timeframe: z.string().min(1),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** The target profile: its drawdown limit is the constraint, its sizing the backtests'. */
  profile: RiskProfileName,
  max_drawdown_pct: z.number().positive().max(100),
  /** Trials per strategy, spread evenly over the walk-forward windows. */
  trials: studyField.trials,
  method: StudyMethod,
  grid_levels: studyField.gridLevels,
  windows: studyField.windows,
  mode: studyField.mode,
  fit_segments: z.number().int().min(1).max(20),
  objective: studyField.objective,
  min_trades: studyField.minTrades,
  seed: studyField.seed,
  workers: studyField.workers,
  initial_equity: z.number().positive(),
  fee_bps: BasisPoints,
  slippage_bps: BasisPoints,
  history_bars: z.number().int().min(1),
  spaces: z.record(z.string(), StrategySpace),
});
export type StudyRequest = z.infer<typeof StudyRequest>;

/** Trials each window's fitting gets: the study's trials spread evenly, at least one. */
export const trialsPerWindow = (r: Pick<StudyRequest, 'trials' | 'windows'>): number =>
  Math.max(1, Math.ceil(r.trials / r.windows));
