import { z } from 'zod';
import { bounds } from '../core/bounds.ts';
import { MarketSymbol } from '../sdk/context-schemas.ts';
import { RiskProfileName } from '../trading/state-repo.ts';
import type { BacktestOptions } from './backtest-setup.ts';
import type { BacktestHooks } from './run-backtest.ts';
import type { BacktestReport } from './report-schema.ts';

/**
 * A batch (`trader backtest --each`): one backtest per symbol, each on an account of its
 * own, run in this process or by workers. Either way each backtest is described by the same
 * task, so both run the same options: its symbol and the options the batch shares, as they
 * travel in a job (the names of BacktestOptions, dates as ISO strings; the modules root is
 * the runner's own).
 */
export const BatchOptions = z.object({
  exchange: z.string(),
  timeframe: z.string(),
  from: z.string().datetime(),
  to: z.string().datetime(),
  pipelineId: z.string(),
  strategyId: z.string().nullable(),
  initialEquity: z.number().positive(),
  feeBps: z.number().nonnegative(),
  slippageBps: z.number().nonnegative(),
  historyBars: z.number().int().min(1).max(bounds.historyBars),
  riskProfile: RiskProfileName.optional(),
  /** `--check-lookahead`: sampled bars re-decided per backtest, 0 for none. */
  lookaheadSamples: z.number().int().min(0).max(bounds.lookaheadSamples),
});
export type BatchOptions = z.infer<typeof BatchOptions>;

export const BatchTask = z.object({
  batch_id: z.string().uuid(),
  /** The symbol's place in the batch: its backtest is stored once under (batch_id, batch_index). */
  batch_index: z.number().int().min(0),
  symbol: MarketSymbol,
  options: BatchOptions,
});
export type BatchTask = z.infer<typeof BatchTask>;

/** Where a backtest of a batch is stored. */
export type BatchSlot = Pick<BatchTask, 'batch_id' | 'batch_index'>;

/** A backtest that did not store a report, and why (its error's sentence). */
export interface BatchFailure {
  symbol: string;
  error: string;
}

/** The backtest a task asks for, with the runner's environment (its modules root). */
export function taskOptions(task: BatchTask, env: NodeJS.ProcessEnv): BacktestOptions {
  const { lookaheadSamples: _samples, from, to, ...shared } = task.options;
  return { ...shared, symbols: [task.symbol], from: new Date(from), to: new Date(to), env };
}

/** What a task adds to its backtest: its slot, and the look-ahead check when asked for. */
export const taskHooks = (task: BatchTask): BacktestHooks => ({
  batch: { batch_id: task.batch_id, batch_index: task.batch_index },
  lookaheadSamples: task.options.lookaheadSamples,
});

/**
 * Where a distributed batch's tasks go and how their jobs fare: the port the batch depends
 * on, so backtest/ knows nothing of the job queue (its adapter is queue/backtest-jobs.ts).
 */
export interface BatchQueue {
  /** One job per task; a task's job id derives from its slot, so enqueueing it again adds nothing. */
  enqueue(tasks: readonly BatchTask[]): Promise<void>;
  /**
   * Of these tasks' jobs: why each that will never store its backtest failed (failed for
   * good, cancelled), by batch index, and how many a worker is running now.
   */
  status(tasks: readonly BatchTask[]): Promise<{ failed: Map<number, string>; running: number }>;
}

/** A batch's result, the same document whether it ran here or on workers: reports and failures in batch order. */
export interface BatchOutcome {
  batch_id: string;
  backtests: BacktestReport[];
  failed: BatchFailure[];
}

/** The outcome of `tasks` from what each stored (a report) or why it did not (a sentence), by batch index. */
export function batchOutcome(
  tasks: readonly BatchTask[],
  reports: ReadonlyMap<number, BacktestReport>,
  errors: ReadonlyMap<number, string>,
): BatchOutcome {
  return {
    batch_id: tasks[0]!.batch_id,
    backtests: tasks.flatMap((t) => reports.get(t.batch_index) ?? []),
    failed: tasks.flatMap((t) => {
      const error = errors.get(t.batch_index);
      return error === undefined || reports.has(t.batch_index) ? [] : [{ symbol: t.symbol, error }];
    }),
  };
}
