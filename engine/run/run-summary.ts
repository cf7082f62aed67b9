import type { LiveBroker } from '../../trading/live/live-broker.ts';
import type { SystemMode } from '../../trading/scope.ts';
import type { TradingState } from '../../trading/state-repo.ts';
import { z } from 'zod';
import { OperationalMode, RiskProfileName } from '../../trading/state-repo.ts';
import { SymbolOutcome } from './run-types.ts';

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
  /** Called with the run id once the run row (the run lock) is written, before any symbol is decided (the HTTP API answers a run it does not wait for then). */
  onOpened?: (runId: string) => void;
  /** LIVE: the broker to trade through (tests pass one on the simulator); by default the LIVE account's, with the keys this process unlocked. */
  liveBroker?: LiveBroker;
}

export const RunStatus = z.enum(['succeeded', 'partial', 'failed', 'halted']);
export type RunStatus = z.infer<typeof RunStatus>;

const RunMode = z.object({
  system_mode: z.enum(['TEST', 'LIVE']),
  operational_mode: OperationalMode,
  risk_profile: RiskProfileName,
  halted: z.boolean(),
  leverage_enabled: z.boolean(),
});

/**
 * The run's result: stored in pipeline_runs.summary, printed by `trader run --json`,
 * returned by the HTTP API. Versioned: a change that removes or retypes a field raises
 * schema_version; docs/run-json.md is generated from this schema.
 */
export const RunSummary = z.object({
  schema_version: z.literal(1),
  ok: z.boolean().describe('true when every symbol was decided (status succeeded)'),
  run_id: z.string().uuid(),
  status: RunStatus.describe(
    'succeeded (exit 0), partial or failed (exit 1: some or all symbols failed), halted (exit 3: a halt_run policy stopped it)',
  ),
  pipeline_id: z.string(),
  strategy_id: z.string().nullable(),
  exchange: z.string(),
  timeframe: z.string(),
  as_of: z.string().describe('decision time, ISO UTC'),
  trigger: z.string().describe('cli, http, schedule, n8n ...'),
  trigger_ref: z
    .string()
    .nullable()
    .describe("the caller's reference, e.g. n8n's execution id; null when none was given"),
  mode: RunMode.describe('the operating state the run ran under'),
  trading: z
    .object({
      fills: z.number().int(),
      expired_proposals: z.number().int(),
      emergency_halt: z.boolean(),
      equity: z.number(),
      drawdown_pct: z.number(),
    })
    .describe('what the account did before deciding: fills of stops and targets, expired proposals, an emergency halt'),
  symbols: z.array(SymbolOutcome),
  proposals: z
    .array(
      z.object({ proposal_id: z.number().int(), symbol: z.string(), side: z.enum(['buy', 'sell']), qty: z.number() }),
    )
    .describe('proposals this run created (Semi-Auto), waiting for approval: the `proposed` actions of every symbol'),
  errors: z.array(z.object({ symbol: z.string(), module_id: z.string().nullable(), message: z.string() })),
  pinned_modules: z.array(z.string()).describe('modules whose registry row got its sha256 pinned on this first load'),
  duration_ms: z.number().int(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** What a run knows before it decides a symbol; a distributed run keeps it on its row for its workers and its closer. */
export const RunHead = RunSummary.pick({
  run_id: true,
  pipeline_id: true,
  strategy_id: true,
  exchange: true,
  timeframe: true,
  as_of: true,
  trigger: true,
  trigger_ref: true,
  mode: true,
  trading: true,
  pinned_modules: true,
});
export type RunHead = z.infer<typeof RunHead>;

/** One symbol's part of the summary: its outcome, its errors, whether its policy halted the run. */
export interface SymbolSettled {
  outcome: SymbolOutcome;
  errors: RunSummary['errors'];
  haltRun: boolean;
}

/** A symbol the run did not decide, and why. */
export const notRunStep = (symbol: string, reason: string): SymbolSettled => ({
  outcome: { symbol, outcome: 'not_run', reason, intents: [], signals: 0, ideas: 0, modules_run: 0 },
  errors: [],
  haltRun: false,
});

/** A symbol that failed before its plan ran (it could not be planned, or no worker could decide it). */
export const failedStep = (symbol: string, message: string): SymbolSettled => ({
  outcome: { symbol, outcome: 'error', reason: message, intents: [], signals: 0, ideas: 0, modules_run: 0 },
  errors: [{ symbol, module_id: null, message }],
  haltRun: false,
});

/** The summary of a run from its head and its symbols' steps in the run's order: the same for a local and a distributed run. */
export function buildRunSummary(head: RunHead, steps: readonly SymbolSettled[], duration_ms: number): RunSummary {
  const outcomes = steps.map((s) => s.outcome);
  const status = runStatus(
    outcomes,
    steps.some((s) => s.haltRun),
  );
  const { run_id, pinned_modules, ...rest } = head;
  // The documented key order (docs/run-json.md): run_id and status first.
  return {
    schema_version: 1,
    ok: status === 'succeeded',
    run_id,
    status,
    ...rest,
    symbols: outcomes,
    proposals: proposalsCreated(outcomes),
    errors: steps.flatMap((s) => s.errors),
    pinned_modules,
    duration_ms,
  };
}

/** The operating state a run ran under, as recorded in its summary and given to modules in `run`. */
export function systemState(system_mode: SystemMode, s: TradingState) {
  return {
    system_mode,
    operational_mode: s.operational_mode,
    risk_profile: s.risk_profile,
    halted: s.halted,
    leverage_enabled: s.leverage_enabled,
  };
}

/** The proposals a run created, in symbol order: what a caller such as n8n branches on. */
export function proposalsCreated(outcomes: SymbolOutcome[]): RunSummary['proposals'] {
  return outcomes.flatMap((o) =>
    (o.actions ?? []).flatMap((a) =>
      a.action === 'proposed' && a.proposal_id !== undefined
        ? [{ proposal_id: a.proposal_id, symbol: a.symbol, side: a.side, qty: a.qty }]
        : [],
    ),
  );
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
