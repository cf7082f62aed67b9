import type { z } from 'zod';
import { checkDataHealth, type WindowFlaws } from '../market/data-health.ts';
import { conditionKeys } from '../engine/plan/conditions.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import { coreOutcome } from '../engine/run/core-outcome.ts';
import { decide } from '../engine/run/decision.ts';
import { cachedIndicators } from '../engine/run/indicator-cache.ts';
import { coreContext, portfolioOf } from '../engine/run/initial-context.ts';
import type { SymbolOutcome } from '../engine/run/run-types.ts';
import { runSymbol, type PrefixMemo } from '../engine/run/symbol-runner.ts';
import type { CandleSeries, ExitRequest, Instrument, RunInfo } from '../sdk/context-schemas.ts';
import type { Macro } from '../sdk/macro-schema.ts';
import type { CostRates } from '../sdk/entry-costs.ts';
import type { AccountView } from '../trading/engine/account-view.ts';
import type { BacktestTrade } from './backtest-types.ts';

const sdk = { indicators: cachedIndicators };

/** Everything one decision at one bar close reads but its candles; the lookahead check replays it on truncated candles. */
export interface BarInputs {
  run: z.infer<typeof RunInfo>;
  instrument: z.infer<typeof Instrument>;
  macro: Macro | null;
  account: AccountView;
  maxRiskPct: number;
  maxLeverage: number;
  /** Fee and worst-case slippage, as the sizers and the gate count them. */
  costs: CostRates;
  /** Data health judges the newest `historyBars` candles, as a live run loading that many does. */
  historyBars: number;
  minBars: number;
  timeframeMs: number;
  /** Set when corrupt candles block this decision before any module, as in a live run (corrupt-candles.ts). */
  blocked?: string | null;
  /** How long past one bar the newest candle may lag before data health calls it stale (a run's --max-age-bars; parity replays it). */
  staleGraceMs?: number;
}

/** The candles a decision sees, and how it is made (kept apart from the inputs: a replay's worker holds them). */
export interface BarView {
  /** The as-of view: candles closed by run.as_of, nothing later. */
  candles: z.infer<typeof CandleSeries>;
  /** The flaws of a window of the full series, indexed once (health-index.ts); without it the window is scanned. */
  flaws?: (from: number, to: number) => WindowFlaws;
  /** Prepare modules' columns over the view at every bar instead of once per replay: the parity reference. */
  preparePerBar?: boolean;
  /** Compute the decision's fingerprint (the lookahead check compares them; other bars skip the cost). */
  fingerprint?: boolean;
  /** An optimiser trial's shared slots at this bar (prefix-memo.ts). */
  memo?: PrefixMemo;
}

export interface BarDecision {
  outcome: SymbolOutcome;
  exits: z.infer<typeof ExitRequest>[];
  /** Modules (with version and stage) whose output led to the intent, for performance ratings. */
  contributors: BacktestTrade['contributors'];
  /** Module failures at this bar; lookahead marks a read past the decision time. */
  errors: { module_id: string; message: string; lookahead: boolean }[];
  /** Canonical text of what was decided, for comparing two replays of the same bar; only when asked for. */
  fingerprint?: string;
}

/** Modules whose items led to the intent: filters that passed, agents of signals in its direction, the confluence idea, the sizer. */
function contributorsOf(
  plan: Plan,
  ctx: Record<string, unknown>,
  outcome: SymbolOutcome,
): BacktestTrade['contributors'] {
  const intent = outcome.intents[0];
  if (!intent) return [];
  const dir = intent.side === 'buy' ? 'long' : 'short';
  const ids = new Set<string>();
  for (const v of (ctx.filter_verdicts as { allow: boolean; source?: string }[] | undefined) ?? [])
    if (v.allow && v.source) ids.add(v.source);
  for (const s of (ctx.signals as { direction: string; source?: string }[] | undefined) ?? [])
    if (s.direction === dir && s.source) ids.add(s.source);
  for (const i of (ctx.ideas as { direction: string; source?: string }[] | undefined) ?? [])
    if (i.direction === dir && i.source) ids.add(i.source);
  if (intent.source) ids.add(intent.source);
  return plan.slots
    .filter((s) => ids.has(s.module_id))
    .map((s) => ({ module_id: s.module_id, version: s.version, stage: s.stage }));
}

const reads = new WeakMap<Plan, Set<string>>();

/** The context keys any slot of the plan reads, as an input or in its run_when condition. */
export function keysRead(plan: Plan): Set<string> {
  let keys = reads.get(plan);
  if (!keys) {
    keys = new Set(
      plan.slots.flatMap((s) => [...s.module.manifest.input_keys, ...(s.when ? conditionKeys(s.when) : [])]),
    );
    reads.set(plan, keys);
  }
  return keys;
}

/**
 * Runs the plan for one symbol at one bar close, with the context a live run builds,
 * minus the core values no slot of this plan reads (which nothing could observe): a
 * pipeline without macro modules does not pay for macro every bar.
 */
export function decideBar(plan: Plan, inputs: BarInputs, view: BarView): BarDecision {
  const { run } = inputs;
  const { candles } = view;
  if (inputs.blocked) {
    const outcome = coreOutcome(inputs.instrument.symbol, 'blocked', inputs.blocked);
    return {
      outcome,
      exits: [],
      contributors: [],
      errors: [],
      ...(view.fingerprint ? { fingerprint: fingerprintOf(outcome, [], {}) } : {}),
    };
  }
  const n = candles.ts.length;
  const needs = keysRead(plan);
  const values: Parameters<typeof coreContext>[0] = {
    run,
    symbol: inputs.instrument.symbol,
    instrument: inputs.instrument,
    candles,
  };
  if (needs.has('data_health')) {
    const from = Math.max(0, n - inputs.historyBars);
    // View index i is full-series index i: replay views start at the first loaded candle.
    values.data_health = checkDataHealth(
      candles,
      {
        timeframeMs: inputs.timeframeMs,
        asOfMs: Date.parse(run.as_of),
        minBars: inputs.minBars,
        fromIndex: from,
        staleGraceMs: inputs.staleGraceMs ?? 0,
      },
      view.flaws?.(from, n),
    );
  }
  if (needs.has('macro')) values.macro = inputs.macro;
  if (needs.has('portfolio')) values.portfolio = portfolioOf(run, inputs.instrument.quote, inputs);
  if (needs.has('positions')) values.positions = inputs.account.positions;
  // Checked elsewhere, once: positions when the account rebuilds them (sim-account.ts), the run when the replay starts (only as_of changes per bar).
  const initial = coreContext(values, ['portfolio']);
  const result = runSymbol(plan, inputs.instrument.symbol, initial, sdk, {
    trace: false,
    preparePerBar: view.preparePerBar,
    ...(view.memo ? { memo: view.memo } : {}),
  });
  const outcome = decide(inputs.instrument.symbol, result);
  const exits = (result.context.exit_requests as z.infer<typeof ExitRequest>[] | undefined) ?? [];
  const errors = result.errors.map((e) => ({
    module_id: e.module_id ?? '',
    message: e.error_message,
    lookahead: e.code === 'LOOKAHEAD',
  }));
  const ctx = result.context;
  return {
    outcome,
    exits,
    contributors: contributorsOf(plan, ctx, outcome),
    errors,
    ...(view.fingerprint ? { fingerprint: fingerprintOf(outcome, exits, ctx) } : {}),
  };
}

function fingerprintOf(outcome: SymbolOutcome, exits: unknown[], ctx: Record<string, unknown>): string {
  return JSON.stringify([outcome.outcome, outcome.reason, outcome.intents, exits, ctx.signals ?? [], ctx.ideas ?? []]);
}
