import { z } from 'zod';

/** Pipeline stages in the only order they run. A module's logic_type names its stage. */
export const stageOrder = ['context', 'filter', 'agent', 'confluence', 'risk', 'execution'] as const;
export const LogicType = z.enum(stageOrder);
export type LogicType = z.infer<typeof LogicType>;

/** What the orchestrator does when a module in a stage throws or breaks its contract. */
export const OnError = z.enum(['skip_module', 'skip_symbol', 'halt_run']);
export type OnError = z.infer<typeof OnError>;

/** Used when a config row leaves `on_error` empty: without context or risk a symbol cannot be decided safely. */
export const defaultOnError: Record<LogicType, OnError> = {
  context: 'skip_symbol',
  filter: 'skip_symbol',
  agent: 'skip_module',
  confluence: 'skip_symbol',
  risk: 'skip_symbol',
  execution: 'skip_symbol',
};
