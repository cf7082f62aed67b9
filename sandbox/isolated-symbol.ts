import { isTraderError } from '../core/errors.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { SymbolRun } from '../engine/run/symbol-runner.ts';
import { planRef } from './refs.ts';
import { type RunBudget, type Sandbox, SandboxError } from './sandbox.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';
import type { z } from 'zod';

/**
 * One symbol's pass through the plan, in the sandbox: one message there and back. When
 * the watchdog ends the worker (a module past its limit, a module calling process.exit),
 * the symbol's pass is an error naming the module; the other symbols go on in a new worker.
 * Only the keys the modules wrote come back (the caller holds the core values).
 */
export async function runSymbolIsolated(
  sandbox: Sandbox,
  plan: Plan,
  symbol: string,
  initial: Record<string, unknown>,
  budget: RunBudget,
): Promise<SymbolRun> {
  const values = initial as Record<string, unknown> & { candles: z.infer<typeof CandleSeries> };
  try {
    return await sandbox.request({ op: 'symbol', plan: planRef(plan), symbol, values }, budget);
  } catch (e) {
    // A stop (SIGTERM) ends the whole run; anything else the sandbox reports costs this symbol only.
    if (!isTraderError(e) || e.code === 'INTERRUPTED') throw e;
    return failedRun(plan, symbol, e.message, e instanceof SandboxError ? e.module : null, e.code);
  }
}

/** A pass the sandbox ended: the module it was in, the sentence, and the symbol stopped. */
function failedRun(plan: Plan, symbol: string, message: string, label: string | null, code: string): SymbolRun {
  const slot = plan.slots.find((s) => `${s.module_id}@${s.version}` === label);
  const base = {
    symbol,
    stage: slot?.stage ?? null,
    module_id: slot?.module_id ?? null,
    module_version: slot?.version ?? null,
  };
  return {
    context: {},
    signalFilter: null,
    logs: [
      {
        ...base,
        level: 'error',
        event: 'module_error',
        message: `${message} (the symbol stopped)`,
        rationale: null,
        outputs: null,
        context_snapshot: null,
        duration_ms: null,
      },
    ],
    errors: [{ ...base, code, error_message: message, traceback: null, context_snapshot: null }],
    blockedBy: null,
    stoppedBy: { module_id: slot?.module_id ?? 'sandbox', policy: 'skip_symbol', message },
    modulesRun: 0,
  };
}
