import type { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import type { MacroTimelineSource } from '../market/macro/macro-timeline.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { CandleSeries, Instrument } from '../sdk/context-schemas.ts';
import { planRef } from '../sandbox/refs.ts';
import { Sandbox, SandboxError } from '../sandbox/sandbox.ts';
import { DEFAULT_RUN_LIMIT_MS } from '../sandbox/limits.ts';
import type { FinerBars } from './finer-bars.ts';
import type { ReplayOutcome, ReplaySettings } from './replay-loop.ts';
import type { MemoRequest } from './prefix-memo.ts';

export type { RecordedBar } from './replay-loop.ts';

/** One market in the replay: its plan, instrument, the candles loaded (warm-up first) and where deciding starts. */
export interface ReplaySymbol {
  plan: Plan;
  instrument: z.infer<typeof Instrument>;
  full: z.infer<typeof CandleSeries>;
  /** Index of the first bar decided on (its open time is the backtest's start). */
  firstDecision: number;
  /** Why the decision at bar k is blocked by corrupt rows a live run would load (corrupt-candles.ts); absent when there are none. */
  blockedAt?: (k: number) => string | null;
  finer: FinerBars;
}

export interface ReplaySetup extends ReplaySettings {
  symbols: ReplaySymbol[];
  /** The macro points the bars' macro values derive from (macro-timeline.ts); null: no macro. */
  macro: MacroTimelineSource | null;
  /** Called every few hundred bars with bars done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Bars whose decision inputs are kept for the lookahead check. */
  record?: (symbol: string, barIndex: number) => boolean;
  /** Where the modules run (the caller's, to re-decide bars after the replay); without it the replay opens its own. */
  sandbox?: Sandbox;
  /** Prepare modules' columns over the view at every bar, as a live run does, not once: the parity reference (slow). */
  preparePerBar?: boolean;
  /** An optimiser trial: share the untuned leading slots' work with the window's other trials (prefix-memo.ts). */
  memo?: MemoRequest;
}

/** Each market's plan and candles cross to the worker once (the lookahead check re-decides bars on them). */
export async function sendMarkets(
  sandbox: Sandbox,
  symbols: readonly ReplaySymbol[],
  timeframeMs: number,
  preparePerBar = false,
) {
  for (const [index, s] of symbols.entries())
    await sandbox.request({ op: 'market', index, plan: planRef(s.plan), full: s.full, timeframeMs, preparePerBar });
}

/** Bars whose decision corrupt rows block, with the reason: data the worker can hold. */
function blockedBars(s: ReplaySymbol): Map<number, string> | null {
  if (!s.blockedAt) return null;
  const out = new Map<number, string>();
  for (let k = s.firstDecision; k < s.full.ts.length; k++) {
    const why = s.blockedAt(k);
    if (why) out.set(k, why);
  }
  return out;
}

/** Bars the `record` predicate keeps, by index. */
function recordedBars(s: ReplaySymbol, record: ReplaySetup['record']): number[] {
  const out: number[] = [];
  if (record) for (let k = s.firstDecision; k < s.full.ts.length; k++) if (record(s.instrument.symbol, k)) out.push(k);
  return out;
}

/**
 * Replays history through the plans: the markets and settings cross to the sandbox's
 * worker once, the whole loop runs there (replay-loop.ts), and only a bar that needs
 * finer candles (its stop and target both touched) asks this thread, which reads them
 * from the database. A module's failure ends the replay with one sentence; nothing is saved.
 */
export async function replay(setup: ReplaySetup): Promise<ReplayOutcome> {
  const { symbols, macro, onProgress, record, preparePerBar, memo, sandbox: given, ...settings } = setup;
  const sandbox = given ?? new Sandbox();
  try {
    await sendMarkets(sandbox, symbols, setup.timeframeMs, preparePerBar);
    const markets = symbols.map((s) => ({
      firstDecision: s.firstDecision,
      instrument: s.instrument,
      blocked: blockedBars(s),
      record: recordedBars(s, record),
    }));
    // A bar is a run at its close, with the run's module budget.
    return await sandbox.request(
      { op: 'replay', settings, markets, macro, ...(memo ? { memo } : {}) },
      { limitMs: DEFAULT_RUN_LIMIT_MS, usedMs: 0, perPass: true },
      {
        progress: onProgress,
        finer: (index, barTs) => symbols[index]!.finer(barTs),
      },
    );
  } catch (e) {
    if (e instanceof SandboxError && e.code !== 'INTERRUPTED')
      throw new TraderError(e.code, `${e.message}; the backtest stopped and saved nothing.`);
    throw e;
  } finally {
    if (!given) await sandbox.close();
  }
}
