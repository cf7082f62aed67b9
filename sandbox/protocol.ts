import type { ImportGraph } from '../registry/import-graph.ts';
import type { RegistryRow } from '../registry/rows.ts';
import type { BarInputs, BarDecision } from '../backtest/decide-bar.ts';
import type { CandleSeries, Instrument } from '../sdk/context-schemas.ts';
import type { MacroTimelineSource } from '../market/macro/macro-timeline.ts';
import type { ReplayOutcome, ReplaySettings } from '../backtest/replay-loop.ts';
import type { MemoRequest } from '../backtest/prefix-memo.ts';
import type { GateReport } from '../registry/gate-report.ts';
import type { Plan, PlannedSlot } from '../engine/plan/plan-types.ts';
import type { SymbolRun } from '../engine/run/symbol-runner.ts';
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

export type Request =
  | { op: 'warm' }
  | { op: 'load'; file: string; sha256: string; label: string; id: number }
  | { op: 'symbol'; plan: PlanRef; symbol: string; values: Record<string, unknown> & { candles: Series } }
  | { op: 'market'; index: number; plan: PlanRef; full: Series; timeframeMs: number; preparePerBar?: boolean }
  | {
      op: 'replay';
      settings: ReplaySettings;
      markets: ReplayMarket[];
      macro: MacroTimelineSource | null;
      memo?: MemoRequest;
    }
  | { op: 'cut'; index: number; end: number; inputs: BarInputs }
  | { op: 'gate'; target: ModuleRef; available: ModuleRef[] }
  | { op: 'forget' };

export interface Replies {
  warm: null;
  load: { problems: string[] };
  symbol: SymbolRun;
  market: null;
  replay: ReplayOutcome;
  cut: BarDecision;
  gate: GateReport;
  forget: null;
}

/** A market of a replay, beyond what its `market` request sent: where deciding starts, blocked and recorded bars. */
export interface ReplayMarket {
  firstDecision: number;
  instrument: z.infer<typeof Instrument>;
  blocked: Map<number, string> | null;
  record: number[];
}

export type Reply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; code?: string };

/**
 * What the worker asks the main thread while a request runs: a progress report, or data
 * only the main thread can read (a replay's finer candles, from the database); `ask`
 * numbers the question, the answer comes back as `Answer`.
 */
export type WorkerNote =
  | { id: number; progress: [done: number, total: number] }
  | { id: number; ask: number; finer: [index: number, barTs: number] };

export type Answer = { answer: number; ok: true; value: unknown } | { answer: number; ok: false; message: string };
