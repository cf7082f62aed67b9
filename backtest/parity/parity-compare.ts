import type { z } from 'zod';
import type { DataHealth } from '../../sdk/context-schemas.ts';
import { canonical } from '../../core/canonical.ts';
import { CHUNK_BARS, type CandlePrint, type PlanPrint, type RunFingerprint } from '../../engine/run/run-fingerprint.ts';
import type { Cause, DecisionShape } from './parity-schema.ts';

/**
 * The pure half of parity: is a replayed decision the recorded one, and if not, what
 * explains it. Everything here works on loaded data, so it is tested without a database.
 */

/** Prices and quantities agree within this share (float noise of a JSON round trip, nothing a market sees). */
export const RELATIVE_TOLERANCE = 1e-9;

const close = (a: number, b: number) => Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));

/** null when the two decisions agree on kind, and on each intent's side, entry, stop and quantity. */
export function decisionDifference(recorded: DecisionShape, replayed: DecisionShape): string | null {
  if (recorded.outcome !== replayed.outcome) return `${describe(recorded)} then, ${describe(replayed)} now`;
  if (recorded.intents.length !== replayed.intents.length)
    return `${recorded.intents.length} intent(s) then, ${replayed.intents.length} now`;
  for (const [i, r] of recorded.intents.entries()) {
    const n = replayed.intents[i]!;
    if (r.side !== n.side) return `intent ${i + 1} was a ${r.side}, now a ${n.side}`;
    for (const key of ['entry', 'stop', 'qty'] as const)
      if (!close(r[key], n[key])) return `intent ${i + 1}'s ${key} was ${num(r[key])}, now ${num(n[key])}`;
  }
  return null;
}

const num = (n: number) => String(Number(n.toPrecision(10)));

export function describe(d: DecisionShape): string {
  const i = d.intents[0];
  return i ? `${d.outcome} (${i.side} ${num(i.qty)} at ${num(i.entry)}, stop ${num(i.stop)})` : d.outcome;
}

/** What parity found now for the recorded bar: the plan (or why none could be built) and the candles. */
export interface Current {
  plan: PlanPrint | null;
  /** Why the plan could not be built now (a module gone, a file changed and refused...). */
  planProblem: string | null;
  candles: CandlePrint | null;
  /** Open times of the candles loaded now (to name the bars that changed). */
  ts: readonly number[];
  health: z.infer<typeof DataHealth> | null;
}

export interface Attribution {
  cause: Cause;
  explanation: string;
}

/** The first way the plan differs from the recorded one, in one sentence; null when it does not. */
export function planChange(then: PlanPrint, now: PlanPrint): string | null {
  if (then.strategy_id !== now.strategy_id)
    return `the strategy was ${then.strategy_id ?? 'none'}, now ${now.strategy_id ?? 'none'}`;
  if (then.strategy_version !== now.strategy_version)
    return `${then.strategy_id ? `strategy ${then.strategy_id}'s` : "the strategy's"} active version was ${then.strategy_version ?? 'none'}, now ${now.strategy_version ?? 'none'}`;
  const nowById = new Map(now.slots.map((s) => [s.module_id, s]));
  for (const t of then.slots) {
    const n = nowById.get(t.module_id);
    if (!n) return `module ${t.module_id} (${t.stage}) ran then and is no longer in the plan`;
    if (t.version !== n.version) return `module ${t.module_id} was version ${t.version}, now ${n.version}`;
    if (t.sha256 !== n.sha256)
      return `module ${t.module_id}'s file changed (sha256 ${short(t.sha256)} then, ${short(n.sha256)} now)`;
    if (t.graph_sha256 !== n.graph_sha256) return `a file module ${t.module_id} imports changed`;
    if (t.shadow !== n.shadow) return `module ${t.module_id} ${t.shadow ? 'ran in shadow then' : 'runs in shadow now'}`;
    if (canonical(t.when ?? null) !== canonical(n.when ?? null))
      return `module ${t.module_id}'s run_when condition changed`;
    const keys = [...new Set([...Object.keys(t.params), ...Object.keys(n.params)])].sort();
    for (const k of keys) {
      const a = canonical(t.params[k]);
      const b = canonical(n.params[k]);
      if (a !== b) return `module ${t.module_id}'s param ${k} was ${a ?? 'unset'}, now ${b ?? 'unset'}`;
    }
  }
  const added = now.slots.find((s) => !then.slots.some((t) => t.module_id === s.module_id));
  if (added) return `module ${added.module_id} (${added.stage}) is in the plan now and was not then`;
  const order = (p: PlanPrint) => p.slots.map((s) => s.module_id).join(',');
  if (order(then) !== order(now)) return 'the modules run in a different order now';
  return null;
}

const short = (sha: string) => sha.slice(0, 12);
const iso = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', 'Z');

/** The candles' change in one sentence (which bars), or null when they hash the same. */
export function candleChange(then: CandlePrint, now: CandlePrint | null, ts: readonly number[]): string | null {
  if (!now) return `the run read ${then.bars} bars; the store has none now`;
  if (then.sha256 === now.sha256) return null;
  if (then.bars !== now.bars || then.last_ts !== now.last_ts || then.first_ts !== now.first_ts)
    return `the run read ${then.bars} bars to ${then.last_ts === null ? '-' : iso(then.last_ts)}, the store now gives ${now.bars} to ${now.last_ts === null ? '-' : iso(now.last_ts)}`;
  const changed = then.chunks.flatMap((c, i) => (c === now.chunks[i] ? [] : [i]));
  const first = changed[0]!;
  const last = changed[changed.length - 1]!;
  const from = ts[first * CHUNK_BARS]!;
  const to = ts[Math.min(ts.length, (last + 1) * CHUNK_BARS) - 1]!;
  return `${changed.length} of ${then.chunks.length} blocks of ${CHUNK_BARS} bars changed since the run, between ${iso(from)} and ${iso(to)} (the newest bar read: ${iso(then.last_ts!)})`;
}

type Health = z.infer<typeof DataHealth>;
const gappy = (h: Health | null | undefined) =>
  !!h && (h.gaps > 0 || h.missing_bars > 0 || h.stale || h.bad_values > 0 || h.ohlc_errors > 0 || h.off_grid > 0);

const healthText = (h: Health) =>
  h.gaps > 0 || h.missing_bars > 0
    ? `${h.gaps} gap(s), ${h.missing_bars} missing bar(s)`
    : h.stale
      ? 'stale candles'
      : 'corrupt candles';

/**
 * Why a replay decides differently from its run, most specific first: the plan changed;
 * the data had a gap (the run saw missing, stale or corrupt bars, or none at all, and the
 * store holds different ones now); the candles changed; else nothing recorded explains it.
 */
export function attribute(recorded: RunFingerprint, now: Current): Attribution {
  if (now.planProblem !== null) return { cause: 'plan_changed', explanation: now.planProblem };
  const plan = now.plan && planChange(recorded.plan, now.plan);
  if (plan) return { cause: 'plan_changed', explanation: `${plan[0]!.toUpperCase()}${plan.slice(1)}.` };
  const then = recorded.candles;
  if (then === null)
    return {
      cause: 'data_gap',
      explanation: `The run had no candles to decide on (${recorded.data_error ?? 'none loaded'}); the store holds ${now.candles?.bars ?? 0} now.`,
    };
  const candles = candleChange(then, now.candles, now.ts);
  const runHealth = recorded.inputs?.data_health;
  if (candles && (recorded.inputs === null || gappy(runHealth) || gappy(now.health))) {
    const seen =
      runHealth && gappy(runHealth)
        ? `the run saw ${healthText(runHealth)}`
        : now.health && gappy(now.health)
          ? `the replay sees ${healthText(now.health)}`
          : 'the data blocked the run';
    return { cause: 'data_gap', explanation: `${seen[0]!.toUpperCase()}${seen.slice(1)}; ${candles}.` };
  }
  if (candles) return { cause: 'candles_changed', explanation: `${candles[0]!.toUpperCase()}${candles.slice(1)}.` };
  return {
    cause: 'unexplained',
    explanation:
      'Same plan, same candles and the same recorded inputs, yet a different decision: a defect (a module that is not deterministic, or a recorded decision changed outside trader).',
  };
}
