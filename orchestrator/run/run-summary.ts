import type { SymbolOutcome } from './run-types.ts';

export interface RunOptions {
  symbols: string[];
  pipelineId: string;
  strategyId: string | null;
  exchange: string;
  timeframe: string;
  asOf: Date;
  trigger: string;
  triggerRef: string | null;
  /** Candles handed to modules (the newest closed ones up to as_of). */
  historyBars: number;
  /** Fewer closed candles than this makes a symbol's data unhealthy. */
  minBars: number;
  equity: number;
  /** Use the cache only; otherwise missing newest candles are fetched first. */
  offline: boolean;
  /** How many bars behind the newest closed candle the cache may be before it is topped up, and before data health calls it stale (default 0). */
  maxAgeBars?: number;
  env?: NodeJS.ProcessEnv;
}

export type RunStatus = 'succeeded' | 'partial' | 'failed' | 'halted';

/** The run's result: stored in pipeline_runs.summary and printed by `trader run --json`. */
export interface RunSummary {
  schema_version: 1;
  ok: boolean;
  run_id: string;
  status: RunStatus;
  pipeline_id: string;
  strategy_id: string | null;
  exchange: string;
  timeframe: string;
  as_of: string;
  trigger: string;
  mode: ReturnType<typeof systemState>;
  symbols: SymbolOutcome[];
  errors: { symbol: string; module_id: string | null; message: string }[];
  pinned_modules: string[];
  duration_ms: number;
}

/**
 * The system's operating state. Until trading state lands (wallets, modes, profiles),
 * every run is a TEST-mode Observe run at the Medium profile: it decides and records,
 * and never trades.
 */
export function systemState() {
  return { system_mode: 'TEST', operational_mode: 'observe', risk_profile: 'medium' } as const;
}

export function runStatus(outcomes: SymbolOutcome[], halted: boolean): RunStatus {
  if (halted) return 'halted';
  const failed = outcomes.filter((o) => o.outcome === 'error').length;
  if (failed === 0) return 'succeeded';
  return failed === outcomes.length ? 'failed' : 'partial';
}

/** Exit code of `trader run`: 0 all decided, 1 some or all symbols failed, 3 halted by policy. */
export function runExitCode(status: RunStatus): number {
  return { succeeded: 0, partial: 1, failed: 1, halted: 3 }[status];
}
