import type { z } from 'zod';
import type { Intent } from '../../sdk/context-schemas.ts';
import type { ExitAction } from '../../trading/engine/act-on-exits.ts';
import type { IntentAction } from '../../trading/engine/act-on-intents.ts';

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

export type SymbolOutcomeKind = 'trade_intent' | 'no_trade' | 'blocked' | 'error' | 'not_run';

export interface SymbolOutcome {
  symbol: string;
  outcome: SymbolOutcomeKind;
  reason: string;
  intents: z.infer<typeof Intent>[];
  /** What the system did with each intent after the risk gate (absent when there were none). */
  actions?: IntentAction[];
  /** What the system did with exit requests for open positions (absent when there were none). */
  exits?: ExitAction[];
  signals: number;
  ideas: number;
  modules_run: number;
}
