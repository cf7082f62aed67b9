import type { SystemMode } from '../../trading/scope.ts';
import type { TradingState } from '../../trading/state-repo.ts';
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
  /** What the account did before deciding: fills of stops and targets, expired proposals, an emergency halt. */
  trading: { fills: number; expired_proposals: number; emergency_halt: boolean; equity: number; drawdown_pct: number };
  symbols: SymbolOutcome[];
  errors: { symbol: string; module_id: string | null; message: string }[];
  pinned_modules: string[];
  duration_ms: number;
}

/** The operating state a run ran under, as recorded in its summary and given to modules in `run`. */
export function systemState(system_mode: SystemMode, s: TradingState) {
  return { system_mode, operational_mode: s.operational_mode, risk_profile: s.risk_profile, halted: s.halted, leverage_enabled: s.leverage_enabled };
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
