import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { queryRows, type Db, type Queryable } from '../store/db.ts';
import { recordAudit } from './audit/audit-log.ts';
import { tradingTx, type TradingScope } from './scope.ts';
import { loadState, RiskProfile, type RiskProfileName, updateState } from './state-repo.ts';
import { quote } from '../core/quote.ts';
import { issueText } from '../core/schema-problems.ts';

/**
 * The three risk profiles' allowed parameter ranges (seed section 4) and the only ways a
 * user changes them: edit one profile, or switch the active one. The database checks in
 * the trading_state migration are wider; these are the real limits.
 */

export interface Range {
  min: number;
  max: number;
}

export interface ProfileBounds {
  risk_per_trade_pct: Range;
  max_drawdown_pct: Range;
  max_open_positions: Range;
  category_cap_pct: Range;
  max_leverage: Range;
  cluster_cap_pct: Range;
  cluster_min_correlation: Range;
  cluster_window_days: Range;
}

const categoryCap: Range = { min: 0.5, max: 25 };
/** Low and medium never use leverage (seed: hardcoded, not configurable). */
const noLeverage: Range = { min: 1, max: 1 };
/**
 * The correlated-cluster rule, the same in every profile: a cap like the category cap; a
 * minimum correlation of 0..1 (a negative one would link markets that move apart); a window
 * of one week (fewer bars are noise) to a year (older moves say little about today's).
 */
const cluster = {
  cluster_cap_pct: categoryCap,
  cluster_min_correlation: { min: 0, max: 1 },
  cluster_window_days: { min: 7, max: 365 },
} satisfies Partial<ProfileBounds>;

export const profileBounds: Record<RiskProfileName, ProfileBounds> = {
  low: {
    risk_per_trade_pct: { min: 0.1, max: 0.5 },
    max_drawdown_pct: { min: 2, max: 10 },
    max_open_positions: { min: 1, max: 5 },
    category_cap_pct: categoryCap,
    max_leverage: noLeverage,
    ...cluster,
  },
  medium: {
    risk_per_trade_pct: { min: 0.5, max: 1.5 },
    max_drawdown_pct: { min: 10, max: 25 },
    max_open_positions: { min: 1, max: 10 },
    category_cap_pct: categoryCap,
    max_leverage: noLeverage,
    ...cluster,
  },
  high: {
    risk_per_trade_pct: { min: 1, max: 3 },
    max_drawdown_pct: { min: 20, max: 50 },
    max_open_positions: { min: 1, max: 20 },
    category_cap_pct: categoryCap,
    max_leverage: { min: 1, max: 10 },
    ...cluster,
  },
};

/** Seed: high-profile values above these thresholds need an extra confirmation. */
export const confirmAbove = { risk_per_trade_pct: 2.5, max_drawdown_pct: 40 } as const;

export const editableFields = [
  'risk_per_trade_pct',
  'max_drawdown_pct',
  'max_open_positions',
  'category_cap_pct',
  'allow_leverage',
  'max_leverage',
  'cluster_cap_pct',
  'cluster_min_correlation',
  'cluster_window_days',
] as const;
export type EditableField = (typeof editableFields)[number];

const profileOrder: readonly RiskProfileName[] = ['low', 'medium', 'high'];

/** True when moving from `from` to `to` accepts more risk (low < medium < high). */
export function isRaise(from: RiskProfileName, to: RiskProfileName): boolean {
  return profileOrder.indexOf(to) > profileOrder.indexOf(from);
}

const shown = (v: unknown) => (typeof v === 'string' ? `${quote(v)}` : String(v));
const pct = (x: number) => `${Math.round(x * 10) / 10}%`;

function bounded(range: Range, profile: RiskProfileName, options: { int?: boolean } = {}) {
  return z.number({ error: (iss) => `must be a number, not ${shown(iss.input)}` }).superRefine((v, ctx) => {
    if (options.int && !Number.isInteger(v))
      ctx.addIssue({ code: 'custom', message: `must be a whole number, not ${v}` });
    else if (range.min === range.max && v !== range.min)
      ctx.addIssue({ code: 'custom', message: `is fixed at ${range.min} in the ${profile} profile, not ${v}` });
    else if (v < range.min || v > range.max)
      ctx.addIssue({
        code: 'custom',
        message: `must be between ${range.min} and ${range.max} in the ${profile} profile, not ${v}`,
      });
  });
}

/** The whole edited profile, checked against its bounds; every problem is reported, not just the first. */
function editedProfileSchema(profile: RiskProfileName) {
  const b = profileBounds[profile];
  return z
    .strictObject({
      risk_per_trade_pct: bounded(b.risk_per_trade_pct, profile),
      max_drawdown_pct: bounded(b.max_drawdown_pct, profile),
      max_open_positions: bounded(b.max_open_positions, profile, { int: true }),
      category_cap_pct: bounded(b.category_cap_pct, profile),
      max_leverage: bounded(b.max_leverage, profile),
      // null switches the correlated-cluster rule off.
      cluster_cap_pct: bounded(b.cluster_cap_pct, profile).nullable(),
      cluster_min_correlation: bounded(b.cluster_min_correlation, profile),
      cluster_window_days: bounded(b.cluster_window_days, profile, { int: true }),
      allow_leverage: z
        .boolean({ error: (iss) => `must be true or false, not ${shown(iss.input)}` })
        .refine((v) => profile === 'high' || !v, {
          error: `can only be true in the high profile (${profile} never uses leverage)`,
        }),
    })
    .superRefine(
      (p, ctx) => {
        // A cap below one trade's risk would refuse every trade in the category.
        const cap = p.category_cap_pct as unknown;
        const risk = p.risk_per_trade_pct as unknown;
        if (typeof cap === 'number' && typeof risk === 'number' && cap < risk) {
          ctx.addIssue({
            code: 'custom',
            path: ['category_cap_pct'],
            message: `must not be below risk_per_trade_pct (${cap} < ${risk}), or a single trade would break the category cap`,
          });
        }
        const clusterCap = p.cluster_cap_pct as unknown;
        if (typeof clusterCap === 'number' && typeof risk === 'number' && clusterCap < risk) {
          ctx.addIssue({
            code: 'custom',
            path: ['cluster_cap_pct'],
            message: `must not be below risk_per_trade_pct (${clusterCap} < ${risk}), or a single trade would break the cluster cap`,
          });
        }
      },
      { when: () => true },
    );
}

export interface ProfileChange {
  field: EditableField;
  from: number | boolean | null;
  to: number | boolean | null;
}

export type ProfileEditCheck =
  { ok: true; next: RiskProfile; changes: ProfileChange[]; warnings: string[] } | { ok: false; problems: string[] };

function problemSentences(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => `${k} is not an editable field; the editable fields are ${editableFields.join(', ')}.`)
      : [`${issueText(issue)}.`],
  );
}

/** Plain-language consequences of values that need an extra confirmation. */
function confirmationWarnings(current: RiskProfile, next: RiskProfile): string[] {
  const warnings: string[] = [];
  const r = next.risk_per_trade_pct;
  if (next.profile === 'high' && r > confirmAbove.risk_per_trade_pct && r > current.risk_per_trade_pct) {
    warnings.push(
      `Each trade may lose up to ${r}% of equity: ten losing trades in a row would cost about ${pct(100 * (1 - (1 - r / 100) ** 10))} of the account.`,
    );
  }
  const d = next.max_drawdown_pct;
  if (next.profile === 'high' && d > confirmAbove.max_drawdown_pct && d > current.max_drawdown_pct) {
    warnings.push(
      `Trading would only halt after equity falls ${d}% from its peak, and recovering from a ${d}% loss takes a ${pct(100 * (1 / (1 - d / 100) - 1))} gain.`,
    );
  }
  if (next.allow_leverage && (!current.allow_leverage || next.max_leverage > current.max_leverage)) {
    const l = next.max_leverage;
    warnings.push(
      `Leverage up to ${l}x becomes possible once activated: at ${l}x a ${pct(100 / l)} price move against a position wipes out its margin, and a price gap can lose more than the stop allows.`,
    );
  }
  return warnings;
}

/**
 * Checks an edit of `current` (a patch of editable fields, as typed by a user) against
 * the profile's bounds. Returns every problem, one sentence each starting with its field,
 * or the edited profile, what changed and the warnings that need a confirmation.
 */
export function validateProfileEdit(current: RiskProfile, patch: Record<string, unknown>): ProfileEditCheck {
  const before = Object.fromEntries(editableFields.map((f) => [f, current[f]]));
  const parsed = editedProfileSchema(current.profile).safeParse({ ...before, ...patch });
  if (!parsed.success) return { ok: false, problems: problemSentences(parsed.error) };
  const next: RiskProfile = { ...current, ...parsed.data };
  const changes = editableFields
    .filter((f) => next[f] !== current[f])
    .map((f) => ({ field: f, from: current[f], to: next[f] }));
  return { ok: true, next, changes, warnings: confirmationWarnings(current, next) };
}

/** What switching up to `to` means for losses, in plain words, for the confirmation question. */
export function raiseWarning(from: RiskProfile, to: RiskProfile): string {
  const leverage = to.allow_leverage
    ? ` Leverage up to ${to.max_leverage}x becomes possible once activated, which multiplies losses too.`
    : '';
  return (
    `Switching from ${from.profile} to ${to.profile} lets each trade lose up to ${to.risk_per_trade_pct}% of equity instead of ${from.risk_per_trade_pct}%, ` +
    `allows ${to.max_open_positions} open positions instead of ${from.max_open_positions}, and only halts trading after a ${to.max_drawdown_pct}% fall from peak ` +
    `instead of ${from.max_drawdown_pct}%: losses can come faster and grow larger.${leverage}`
  );
}

/** The refusal of an out-of-bounds edit: every problem in one line, nothing written. */
export function editRefused(profile: RiskProfileName, problems: readonly string[]): TraderError {
  return new TraderError(
    'BAD_INPUT',
    `The ${profile} profile was not changed: ${problems.map((p) => p.replace(/\.$/, '')).join('; ')}.`,
    problems,
  );
}

async function lockProfile(tx: Queryable, scope: TradingScope, profile: RiskProfileName): Promise<RiskProfile> {
  const [row] = await queryRows(
    tx,
    RiskProfile,
    `select * from ${scope.table('risk_profiles')} where profile = $1 for update`,
    [profile],
  );
  return row!;
}

export interface ProfileEditResult {
  profile: RiskProfile;
  changes: ProfileChange[];
  warnings: string[];
  /** True when turning allow_leverage off also switched active leverage off. */
  leverage_disabled: boolean;
}

/**
 * Applies a user's edit of one profile in one transaction, audited as RISK_PROFILE_EDITED
 * with the old and new values. Out-of-bounds values are refused with every problem; values
 * that need confirmation are refused unless `confirmed`. Turning allow_leverage off also
 * turns active leverage off; nothing else about the state changes.
 */
export function editRiskProfile(
  db: Db,
  scope: TradingScope,
  profile: RiskProfileName,
  patch: Record<string, unknown>,
  options: { confirmed: boolean },
): Promise<ProfileEditResult> {
  return tradingTx(db, scope, async (tx) => {
    const state = await loadState(tx, scope, { forUpdate: true });
    const current = await lockProfile(tx, scope, profile);
    const check = validateProfileEdit(current, patch);
    if (!check.ok) throw editRefused(profile, check.problems);
    if (check.warnings.length && !options.confirmed) {
      throw new TraderError(
        'BAD_INPUT',
        `This edit of the ${profile} profile needs confirmation; run it in a terminal or add --yes.`,
        check.warnings,
      );
    }
    const audit = {
      mode: scope.mode,
      actor: 'USER',
      risk_profile: state.risk_profile,
      entity_type: 'risk_profile',
      entity_id: profile,
    } as const;
    if (check.changes.length === 0) {
      await recordAudit(tx, {
        ...audit,
        action_type: 'RISK_PROFILE_EDIT',
        status: 'INFO',
        details: { profile, unchanged: true },
      });
      return { profile: current, changes: [], warnings: [], leverage_disabled: false };
    }
    const sets = check.changes.map((c, i) => `${c.field} = $${i + 2}`);
    const [saved] = await queryRows(
      tx,
      RiskProfile,
      `update ${scope.table('risk_profiles')} set ${[...sets, 'updated_at = now()'].join(', ')} where profile = $1 returning *`,
      [profile, ...check.changes.map((c) => c.to)],
    );
    const leverageDisabled = state.leverage_enabled && !saved!.allow_leverage;
    if (leverageDisabled) await updateState(tx, scope, { leverage_enabled: false, leverage_enabled_at: null });
    await recordAudit(tx, {
      ...audit,
      action_type: 'RISK_PROFILE_EDITED',
      status: 'SUCCESS',
      details: {
        profile,
        old: Object.fromEntries(check.changes.map((c) => [c.field, c.from])),
        new: Object.fromEntries(check.changes.map((c) => [c.field, c.to])),
        warnings: check.warnings,
        confirmed: options.confirmed,
        leverage_disabled: leverageDisabled,
      },
    });
    return { profile: saved!, changes: check.changes, warnings: check.warnings, leverage_disabled: leverageDisabled };
  });
}

export interface ProfileSwitch {
  from: RiskProfileName;
  to: RiskProfileName;
  changed: boolean;
  leverage_disabled: boolean;
}

/**
 * Makes `profile` the active one, audited as RISK_PROFILE_CHANGED. Raising needs
 * `confirmed`. Leaving high turns leverage off in the same update (the state table
 * refuses leverage outside high).
 */
export function setActiveProfile(
  db: Db,
  scope: TradingScope,
  profile: RiskProfileName,
  options: { confirmed: boolean },
): Promise<ProfileSwitch> {
  return tradingTx(db, scope, async (tx) => {
    const state = await loadState(tx, scope, { forUpdate: true });
    const from = state.risk_profile;
    const audit = {
      mode: scope.mode,
      actor: 'USER',
      risk_profile: profile,
      entity_type: 'risk_profile',
      entity_id: profile,
    } as const;
    if (from === profile) {
      await recordAudit(tx, {
        ...audit,
        action_type: 'RISK_PROFILE_CHANGE',
        status: 'INFO',
        details: { from, to: profile, unchanged: true },
      });
      return { from, to: profile, changed: false, leverage_disabled: false };
    }
    if (isRaise(from, profile) && !options.confirmed) {
      throw new TraderError(
        'BAD_INPUT',
        `Raising the risk profile from ${from} to ${profile} needs confirmation; run it in a terminal or add --yes.`,
      );
    }
    const leverageDisabled = state.leverage_enabled;
    await updateState(
      tx,
      scope,
      leverageDisabled
        ? { risk_profile: profile, leverage_enabled: false, leverage_enabled_at: null }
        : { risk_profile: profile },
    );
    await recordAudit(tx, {
      ...audit,
      action_type: 'RISK_PROFILE_CHANGED',
      status: 'SUCCESS',
      details: {
        from,
        to: profile,
        raise: isRaise(from, profile),
        confirmed: options.confirmed,
        leverage_disabled: leverageDisabled,
      },
    });
    return { from, to: profile, changed: true, leverage_disabled: leverageDisabled };
  });
}
