import { z } from 'zod';
import { Intent } from '../../sdk/context-schemas.ts';
import { ExitAction } from '../../trading/engine/act-on-exits.ts';
import { IntentAction } from '../../trading/engine/act-on-intents.ts';

/** One pipeline_log row before it is written. */
export interface LogEntry {
  /** null for run-level events (e.g. a module pinned on first load). */
  symbol: string | null;
  stage: string | null;
  module_id: string | null;
  module_version: string | null;
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  message: string;
  rationale: string | null;
  outputs: unknown;
  context_snapshot: unknown;
  duration_ms: number | null;
}

/** One error_log row before it is written. */
export interface ErrorEntry {
  symbol: string;
  stage: string | null;
  module_id: string | null;
  module_version: string | null;
  code: string;
  error_message: string;
  traceback: string | null;
  context_snapshot: unknown;
}

export const SymbolOutcomeKind = z.enum(['trade_intent', 'no_trade', 'blocked', 'error', 'not_run']);
export type SymbolOutcomeKind = z.infer<typeof SymbolOutcomeKind>;

export const SymbolOutcome = z.object({
  symbol: z.string(),
  outcome: SymbolOutcomeKind.describe(
    'trade_intent: sized orders came out; no_trade: nothing to do; blocked: a filter stopped it; error: a module or the data failed; not_run: an earlier halt_run stopped the run',
  ),
  reason: z.string().describe('why, in one sentence (the deciding module and its rationale)'),
  intents: z.array(Intent).describe('the sized orders, before the risk gate'),
  actions: z
    .array(IntentAction)
    .optional()
    .describe('what the system did with each intent after the risk gate (absent when there were none)'),
  exits: z
    .array(ExitAction)
    .optional()
    .describe('what the system did with exit requests for open positions (absent when there were none)'),
  signals: z.number().int(),
  ideas: z.number().int(),
  modules_run: z.number().int(),
});
export type SymbolOutcome = z.infer<typeof SymbolOutcome>;
