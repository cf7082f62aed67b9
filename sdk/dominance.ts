import { z } from 'zod';
import type { ContextValue } from './context-keys.ts';

/**
 * Shared core of the dominance analyzers (btc_d_analyzer_v1, usdt_d_analyzer_v1): they read one
 * dominance metric's trend from the `macro` context value and differ only in the metric, its label
 * and how a direction maps to a bias (and why). Kept here so the staleness / missing-data checks and
 * the flat-threshold rule cannot drift apart between analyzers. Pure: no I/O, no clock.
 */

export type DominanceState = ContextValue<'btc_d_state'>;
export type DominanceDirection = DominanceState['direction'];
export type DominanceBias = DominanceState['bias'];

/** The parts of a macro trend the analyzers read (structural, so a read-only module view fits). */
interface TrendLike {
  readonly from: string;
  readonly from_value: number;
  readonly change_pct: number;
  readonly threshold_pct: number;
  readonly direction: 'rising' | 'falling' | 'flat';
}

/** The parts of the `macro` context value the analyzers read. */
export interface DominanceMacro<M extends string> {
  readonly source: string;
  readonly as_of: string;
  readonly age_hours: number;
  readonly stale: boolean;
  readonly trends: { readonly [K in M]: { readonly [lookback: string]: TrendLike | null } };
}

export interface DominanceSpec<M extends string> {
  /** macro field and trend key, e.g. 'btc_d'. */
  metric: M;
  /** label used in the rationale, e.g. 'BTC.D'. */
  label: string;
  /** which trend to read, e.g. '7d'. */
  lookback: string;
  /** |change_pct| at or below this is flat; null keeps the macro trend's own direction. */
  flatThresholdPct: number | null;
  /** bias per direction ('unknown' should be neutral). */
  bias: Readonly<Record<DominanceDirection, DominanceBias>>;
  /** the reason appended to the rationale per direction. */
  why: Readonly<Record<DominanceDirection, string>>;
}

/**
 * The dominance state and rationale for one metric. Unknown (change_pct null, bias neutral) when
 * there is no macro value, it is stale, the metric level is missing, or the lookback's trend is
 * absent or null; the rationale then says which.
 */
export function dominanceState<M extends string>(
  m: (DominanceMacro<M> & { readonly [K in M]: number | null }) | null,
  spec: DominanceSpec<M>,
): { state: DominanceState; rationale: string } {
  const { label, lookback } = spec;
  const unknown = (why: string) => ({
    state: { direction: 'unknown' as const, change_pct: null, bias: 'neutral' as const },
    rationale: `${label} direction unknown, bias neutral: ${why}.`,
  });
  if (m === null) return unknown('no macro data is stored for this run');
  if (m.stale)
    return unknown(
      `macro data from ${m.as_of} (${m.source}) is stale, ${m.age_hours.toFixed(1)} h old at the decision time`,
    );
  const level = m[spec.metric] as number | null;
  if (level === null) return unknown(`the macro source ${m.source} has no ${label}`);
  const set = m.trends[spec.metric];
  if (!Object.hasOwn(set, lookback)) {
    return unknown(`the macro value has no ${lookback} trend (it has ${Object.keys(set).join(', ') || 'none'})`);
  }
  const t = set[lookback];
  if (!t)
    return unknown(`the ${lookback} trend is null: macro history does not reach ${lookback} back from ${m.as_of}`);

  const threshold = spec.flatThresholdPct ?? t.threshold_pct;
  const direction: DominanceDirection =
    spec.flatThresholdPct === null
      ? t.direction
      : t.change_pct > threshold
        ? 'rising'
        : t.change_pct < -threshold
          ? 'falling'
          : 'flat';
  return {
    state: { direction, change_pct: t.change_pct, bias: spec.bias[direction] },
    rationale:
      `${label} ${t.from_value.toFixed(3)}% (${t.from}) -> ${level.toFixed(3)}% (${m.as_of}, ${m.source}): ` +
      `${t.change_pct >= 0 ? '+' : ''}${t.change_pct.toFixed(2)}% over ${lookback}, ${direction} (flat within ±${threshold}%); ${spec.why[direction]}.`,
  };
}

/** The params every dominance analyzer takes, for `z.object({ ...dominanceParamShape })`. */
export const dominanceParamShape = {
  lookback: z
    .string()
    .regex(/^[1-9]\d*d$/, 'a lookback like "7d"')
    .default('7d')
    .describe('which macro trend to read, e.g. "7d" or "30d" (must be one the macro value carries)'),
  flat_threshold_pct: z
    .number()
    .nonnegative()
    .max(100)
    .nullable()
    .default(null)
    .describe(
      "|change_pct| at or below this is flat; null = keep the macro trend's own direction (its threshold, 1% by default)",
    ),
};
