import { z } from 'zod';

/**
 * Time limits on module code. A module runs in a worker thread (sandbox.ts); the main
 * thread's watchdog terminates the worker when a limit is passed, so a runaway module
 * costs its symbol (or its registration), never the process.
 */

/** One module call (its `run` on one view), unless the pipeline step sets `time_limit_ms`. */
export const DEFAULT_CALL_LIMIT_MS = 2_000;
/** Importing a module file (its top level, top-level awaits included). */
export const LOAD_LIMIT_MS = 2_000;
/** All module calls of one run together (`trader run`, a served or scheduled run; each bar of a backtest). */
export const DEFAULT_RUN_LIMIT_MS = 60_000;
/** All module calls of one module's registration gates (hundreds of calls on the sample year). */
export const GATE_LIMIT_MS = 120_000;

/** A pipeline or strategy step's own call limit: between 10 ms and 10 minutes. */
export const StepTimeLimit = z
  .number()
  .int('time_limit_ms must be a whole number of milliseconds')
  .min(10, 'time_limit_ms must be at least 10 (milliseconds)')
  .max(600_000, 'time_limit_ms must be at most 600000 (10 minutes)');

/** "2 s", "0.5 s": how a limit reads in a sentence. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The sentence a runaway call gets: "module X exceeded its 2 s limit" (X = module_id@version). */
export const callLimitSentence = (label: string, ms: number) => `module ${label} exceeded its ${seconds(ms)} limit`;

export const runLimitSentence = (label: string | null, ms: number) =>
  `the run's module calls exceeded their ${seconds(ms)} limit${label ? ` (module ${label} was running)` : ''}`;
