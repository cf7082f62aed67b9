import { conditionKeys } from '../engine/plan/conditions.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import type { PrefixMemo, PrefixState } from '../engine/run/symbol-runner.ts';

/**
 * The optimiser's shortcut through the modules its trials share. Within one study window,
 * every trial decides the same bars of the same candles; the leading slots of the plan
 * whose parameters the study does not tune, and which read nothing of the simulated account
 * (whose equity and positions differ from trial to trial), produce exactly the same context
 * at a bar in every trial. The first trial to decide a bar keeps that context; the others
 * start from it. Modules are pure functions of their view (the registration gates check
 * determinism), so this changes no decision, only how often the same one is computed.
 */

/** Core context keys that come from the account, not the market. */
const accountKeys = new Set(['portfolio', 'positions']);

/** How many leading slots of `plan` every trial shares: untuned, and reading only the market and earlier shared slots. */
export function sharedPrefixLength(plan: Plan, tuned: ReadonlySet<string>): number {
  let n = 0;
  for (const s of plan.slots) {
    const reads = [...s.module.manifest.input_keys, ...(s.when ? conditionKeys(s.when) : [])];
    // Risk slots come after the profile filter (engine/run/profile-filter.ts), which judges each trial's own signals.
    if (s.stage === 'risk' || tuned.has(s.module_id) || reads.some((k) => accountKeys.has(k))) break;
    n++;
  }
  return n;
}

/** What a replay asks of the memo: which study window it belongs to and which modules its trials tune. */
export interface MemoRequest {
  /** Same id: same candles, same span, same untuned parameters (the study, strategy and window). */
  id: string;
  tuned: string[];
}

/**
 * One module worker's memo: the prefix states of the window it serves now, by market and
 * bar. A new window replaces the old one, so a worker holds one window's worth at a time.
 */
export class PrefixMemoStore {
  #id: string | null = null;
  #states = new Map<string, PrefixState>();
  #lengths = new WeakMap<Plan, number>();

  /** The memo of one market's bar, or undefined when the plan shares no slot. */
  memoFor(request: MemoRequest, plan: Plan, symbol: string, asOf: string): PrefixMemo | undefined {
    if (this.#id !== request.id) {
      this.#id = request.id;
      this.#states.clear();
    }
    let length = this.#lengths.get(plan);
    if (length === undefined) {
      length = sharedPrefixLength(plan, new Set(request.tuned));
      this.#lengths.set(plan, length);
    }
    if (length === 0) return undefined;
    const key = `${symbol}|${asOf}`;
    return { length, get: () => this.#states.get(key), set: (s) => this.#states.set(key, s) };
  }

  clear(): void {
    this.#id = null;
    this.#states.clear();
  }
}
