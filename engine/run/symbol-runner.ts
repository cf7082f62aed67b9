import type { ModuleSdk } from '../../sdk/define-module.ts';
import type { OnError } from '../../sdk/stages.ts';
import { contextKeys, isKeyName } from '../../sdk/context-keys.ts';
import { describeCondition } from '../plan/conditions.ts';
import type { Plan, PlannedSlot } from '../plan/plan-types.ts';
import { type SlotResult, executeSlot } from './execute-slot.ts';
import { deepFreeze } from './freeze.ts';
import { LookaheadError } from './as-of-view.ts';
import type { ErrorEntry, LogEntry } from './run-types.ts';
import { boundedSnapshot } from './snapshot.ts';
import { profileFilter, type SignalFilterVerdict } from './profile-filter.ts';

export interface SymbolRun {
  context: Record<string, unknown>;
  logs: LogEntry[];
  errors: ErrorEntry[];
  /** Set when a filter blocked the symbol. */
  blockedBy: { module_id: string; reason: string } | null;
  /** Set when a failing module's policy stopped the symbol or the run. */
  stoppedBy: { module_id: string; policy: Exclude<OnError, 'skip_module'>; message: string } | null;
  modulesRun: number;
  /** The risk profile's verdict on this bar's signals, taken before the first risk slot (profile-filter.ts); null: no signal. */
  signalFilter: SignalFilterVerdict | null;
}

/**
 * What the first `length` slots of a plan left behind at one bar: the context keys they
 * wrote (frozen, so sharing them is safe), their log entries, the count of modules run and
 * a filter's block. An optimiser's trials at the same bar restore it instead of running
 * those slots again when none of them is tuned and none reads the account (prefix-memo.ts).
 */
export interface PrefixState {
  written: Record<string, unknown>;
  logs: LogEntry[];
  modulesRun: number;
  blockedBy: SymbolRun['blockedBy'];
}

export interface PrefixMemo {
  /** How many leading slots the memo stands for. */
  length: number;
  get(): PrefixState | undefined;
  set(state: PrefixState): void;
}

function merge(context: Record<string, unknown>, outputs: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(outputs)) {
    const isList = isKeyName(key) && contextKeys[key].kind === 'list';
    // Items already in a list were frozen when they were added: freeze only the new ones, then the list.
    context[key] = isList
      ? Object.freeze([...((context[key] as unknown[]) ?? []), ...deepFreeze(value as unknown[])])
      : deepFreeze(value);
  }
}

/** Log entry fields common to every event of one slot. */
const slotEntry = (symbol: string, slot: PlannedSlot) => ({
  symbol,
  stage: slot.stage,
  module_id: slot.module_id,
  module_version: slot.version,
});

/**
 * Runs a plan's slots for one symbol over its initial context: per slot, evaluate
 * `run_when`, run on the read-only view, enforce the contract, merge (unless shadow),
 * log with rationale and duration; a blocking filter or a failing module's policy
 * stops the symbol. `trace: false` (a backtest's bars) skips the per-slot log entries
 * and their snapshots; errors and blocks are still recorded. `preparePerBar`: see
 * preparedFor (prepared-columns.ts). `memo`: the first slots' work at this bar, kept by an
 * earlier trial of an optimiser study (PrefixState).
 */
export function runSymbol(
  plan: Plan,
  symbol: string,
  initial: Record<string, unknown>,
  sdk: ModuleSdk,
  options: { trace?: boolean; preparePerBar?: boolean; memo?: PrefixMemo } = {},
): SymbolRun {
  const trace = options.trace ?? true;
  const context: Record<string, unknown> = { ...initial };
  const run: SymbolRun = {
    context,
    logs: [],
    errors: [],
    blockedBy: null,
    stoppedBy: null,
    modulesRun: 0,
    signalFilter: null,
  };
  let filtered = false;
  const { memo } = options;
  const hit = memo?.get();
  if (hit) {
    Object.assign(context, hit.written);
    run.logs.push(...hit.logs);
    run.modulesRun = hit.modulesRun;
    run.blockedBy = hit.blockedBy;
    if (hit.blockedBy) return run;
  }
  // The prefix is remembered once its last slot is done (or a filter in it blocked), unless a module failed in it.
  const remember = () => {
    if (!memo || hit || run.errors.length > 0) return;
    const written = Object.fromEntries(Object.entries(context).filter(([k, v]) => initial[k] !== v));
    memo.set({ written, logs: [...run.logs], modulesRun: run.modulesRun, blockedBy: run.blockedBy });
  };
  for (let i = hit ? memo!.length : 0; i < plan.slots.length; i++) {
    if (i === memo?.length) remember();
    const slot = plan.slots[i]!;
    if (slot.stage === 'risk' && !filtered) {
      filtered = true;
      run.signalFilter = profileFilter(plan, context);
      if (run.signalFilter && !run.signalFilter.allow) {
        run.blockedBy = { module_id: 'profile_filter', reason: run.signalFilter.reason };
        run.logs.push({
          symbol,
          stage: null,
          module_id: null,
          module_version: null,
          level: 'info',
          event: 'blocked',
          message: `signal rejected by the profile filter: ${run.signalFilter.reason}`,
          rationale: run.signalFilter.reason,
          outputs: null,
          context_snapshot: null,
          duration_ms: null,
        });
        return run;
      }
    }
    const result = executeSlot(slot, context, sdk, options.preparePerBar);
    const base = slotEntry(symbol, slot);
    if (!trace && (result.status === 'skipped_when' || result.status === 'missing_input')) continue;
    if (result.status === 'skipped_when') {
      run.logs.push({
        ...base,
        level: 'debug',
        event: 'skipped',
        message: `run_when not met: ${describeCondition(slot.when!)}`,
        rationale: null,
        outputs: null,
        context_snapshot: null,
        duration_ms: null,
      });
      continue;
    }
    if (result.status === 'missing_input') {
      // The planner guarantees a producer runs earlier; it wrote nothing (e.g. no idea to set a stop for), so there is nothing to act on.
      run.logs.push({
        ...base,
        level: 'info',
        event: 'skipped',
        message: `skipped: no ${result.missing.join(', ')} was produced earlier in this run, so there is nothing to act on`,
        rationale: null,
        outputs: null,
        context_snapshot: null,
        duration_ms: null,
      });
      continue;
    }
    run.modulesRun++;
    if (result.status !== 'ok') {
      if (applyFailure(run, slot, result, symbol)) return run;
      continue;
    }
    const outputs = result.outputs;
    if (trace)
      run.logs.push({
        ...base,
        level: 'info',
        event: slot.shadow ? 'shadow' : 'ran',
        message: slot.shadow
          ? 'shadow run: output logged, not merged'
          : `wrote ${Object.keys(outputs).join(', ') || 'nothing'}`,
        rationale: result.rationale,
        outputs: boundedSnapshot(outputs),
        context_snapshot: boundedSnapshot(result.view),
        duration_ms: result.duration_ms,
      });
    context.rationales = Object.freeze([
      ...((context.rationales as unknown[]) ?? []),
      Object.freeze({
        module_id: slot.module_id,
        version: slot.version,
        stage: slot.stage,
        text: slot.shadow ? `[shadow] ${result.rationale}` : result.rationale,
      }),
    ]);
    if (slot.shadow) continue;
    merge(context, outputs);
    const block =
      slot.stage === 'filter'
        ? (outputs.filter_verdicts as { allow: boolean; reason: string }[] | undefined)?.find((v) => !v.allow)
        : undefined;
    if (block) {
      run.blockedBy = { module_id: slot.module_id, reason: block.reason };
      run.logs.push({
        ...base,
        level: 'info',
        event: 'blocked',
        message: `blocked: ${block.reason}`,
        rationale: block.reason,
        outputs: null,
        context_snapshot: null,
        duration_ms: null,
      });
      if (memo && i < memo.length) remember();
      return run;
    }
  }
  if (memo?.length === plan.slots.length) remember();
  return run;
}

/** Records a failed slot and applies its on_error policy; true when the symbol must stop. */
function applyFailure(
  run: SymbolRun,
  slot: PlannedSlot,
  result: Exclude<SlotResult, { status: 'ok' | 'skipped_when' | 'missing_input' }>,
  symbol: string,
): boolean {
  const base = slotEntry(symbol, slot);
  const snapshot = boundedSnapshot(result.view);
  const message =
    result.status === 'error'
      ? `module threw: ${result.error.message}`
      : `contract violation, output discarded: ${result.violations.join('; ')}`;
  const policy = slot.shadow ? 'skip_module' : slot.on_error;
  run.logs.push({
    ...base,
    level: 'error',
    event: result.status === 'error' ? 'module_error' : 'contract_violation',
    message: `${message} (on_error: ${policy})`,
    rationale: result.status === 'violation' ? result.rationale : null,
    outputs: null,
    context_snapshot: snapshot,
    duration_ms: result.duration_ms,
  });
  run.errors.push({
    ...base,
    // LOOKAHEAD: the module read past the decision time (as-of-view.ts); a backtest reports these apart.
    code:
      result.status === 'error'
        ? result.error instanceof LookaheadError
          ? 'LOOKAHEAD'
          : 'MODULE_FAILED'
        : 'CONTRACT_OUTPUT',
    error_message: message,
    traceback: result.status === 'error' ? (result.error.stack ?? null) : null,
    context_snapshot: snapshot,
  });
  if (policy === 'skip_module') return false;
  run.stoppedBy = { module_id: slot.module_id, policy, message };
  return true;
}
