import type { z } from 'zod';
import type { DataHealth } from '../../sdk/context-schemas.ts';
import type { Queryable } from '../../store/db.ts';
import { writeSymbolLogs } from './run-log.ts';
import type { ErrorEntry, LogEntry, SymbolOutcome } from './run-types.ts';

/** A symbol the core decides before any module runs: its data could not be loaded, or is corrupt. */
export type CoreVerdict =
  | { kind: 'error'; message: string; code: string }
  | { kind: 'blocked'; message: string; data_health: z.infer<typeof DataHealth> };

/** Records that verdict (its log row after the data top-up's, an error_log row for an error) and returns the symbol's outcome. */
export async function recordCoreOutcome(
  q: Queryable,
  run_id: string,
  symbol: string,
  dataLogs: LogEntry[],
  v: CoreVerdict,
): Promise<SymbolOutcome> {
  const none = { stage: null, module_id: null, module_version: null };
  // A blocked symbol is decided (its decision row, with the health that blocked it); an error is not.
  const log: Omit<LogEntry, 'context_snapshot' | 'duration_ms'> =
    v.kind === 'error'
      ? { symbol, ...none, level: 'error', event: 'data_error', message: v.message, rationale: null, outputs: null }
      : {
          symbol,
          ...none,
          level: 'warn',
          event: 'decision',
          message: 'blocked',
          rationale: v.message,
          outputs: { data_health: v.data_health },
        };
  const errors: ErrorEntry[] =
    v.kind === 'error'
      ? [{ symbol, ...none, code: v.code, error_message: v.message, traceback: null, context_snapshot: null }]
      : [];
  await writeSymbolLogs(q, run_id, [...dataLogs, { ...log, context_snapshot: null, duration_ms: null }], errors);
  return coreOutcome(symbol, v.kind, v.message);
}

/** The outcome of a symbol no module ran for (a backtest's bar blocked by corrupt candles too). */
export function coreOutcome(symbol: string, kind: CoreVerdict['kind'], reason: string): SymbolOutcome {
  return { symbol, outcome: kind, reason, intents: [], signals: 0, ideas: 0, modules_run: 0 };
}
