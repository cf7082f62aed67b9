import type { ImportGraph } from '../registry/import-graph.ts';
import type { RegistryRow } from '../registry/rows.ts';
import type { BarInputs, BarDecision } from '../backtest/decide-bar.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';
import type { GateReport } from '../registry/gate-report.ts';
import type { Plan, PlannedSlot } from '../orchestrator/plan/plan-types.ts';
import type { SymbolRun } from '../orchestrator/run/symbol-runner.ts';
import type { z } from 'zod';

/**
 * What crosses the thread boundary: plain data only (structured clone). Module code never
 * does: the worker imports each module itself from its pinned file, by `ModuleRef`.
 */

/** A module the worker may import: the main thread has checked its path, hash and import graph. */
export interface ModuleRef {
  row: RegistryRow;
  file: string;
  sha256: string;
  graph: ImportGraph;
  /** Index of its label (module_id@version) in the main thread's table, for the watchdog's sentence. */
  id: number;
}

export type SlotRef = Omit<PlannedSlot, 'module'> & { module: ModuleRef };
export type PlanRef = Omit<Plan, 'slots'> & { slots: SlotRef[] };

type Series = z.infer<typeof CandleSeries>;

/** Bar inputs without what the worker keeps itself (the candle view and the health index). */
export type BarRequestInputs = Omit<BarInputs, 'candles' | 'flaws' | 'preparePerBar'>;

export type Request =
  | { op: 'load'; file: string; sha256: string; label: string; id: number }
  | { op: 'symbol'; plan: PlanRef; symbol: string; values: Record<string, unknown> & { candles: Series } }
  | { op: 'market'; index: number; plan: PlanRef; full: Series; timeframeMs: number; preparePerBar?: boolean }
  | { op: 'bar'; index: number; k: number; inputs: BarRequestInputs }
  | { op: 'cut'; index: number; end: number; inputs: BarRequestInputs }
  | { op: 'replay_end' }
  | { op: 'gate'; target: ModuleRef; available: ModuleRef[] };

export interface Replies {
  load: { problems: string[] };
  symbol: SymbolRun;
  market: null;
  bar: { decision: BarDecision; tampered: string | null };
  cut: BarDecision;
  replay_end: { symbol: string; tampered: string } | null;
  gate: GateReport;
}

export type Reply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; code?: string };
