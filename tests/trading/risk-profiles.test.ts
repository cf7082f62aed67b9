import { describe, expect, it } from 'vitest';
import {
  confirmAbove,
  editableFields,
  isRaise,
  profileBounds,
  raiseWarning,
  validateProfileEdit,
} from '../../trading/risk-profiles.ts';
import type { RiskProfile } from '../../trading/state-repo.ts';

/** The migration's seed rows (section 4 of the seed spec). */
const seeded: Record<RiskProfile['profile'], RiskProfile> = {
  low: {
    profile: 'low',
    risk_per_trade_pct: 0.5,
    max_drawdown_pct: 10,
    max_open_positions: 3,
    category_cap_pct: 1.5,
    allow_leverage: false,
    max_leverage: 1,
    cluster_cap_pct: null,
    cluster_min_correlation: 0.7,
    cluster_window_days: 30,
  },
  medium: {
    profile: 'medium',
    risk_per_trade_pct: 1,
    max_drawdown_pct: 20,
    max_open_positions: 5,
    category_cap_pct: 3,
    allow_leverage: false,
    max_leverage: 1,
    cluster_cap_pct: null,
    cluster_min_correlation: 0.7,
    cluster_window_days: 30,
  },
  high: {
    profile: 'high',
    risk_per_trade_pct: 2,
    max_drawdown_pct: 35,
    max_open_positions: 8,
    category_cap_pct: 6,
    allow_leverage: false,
    max_leverage: 3,
    cluster_cap_pct: null,
    cluster_min_correlation: 0.7,
    cluster_window_days: 30,
  },
};

function problemsOf(current: RiskProfile, patch: Record<string, unknown>): string[] {
  const check = validateProfileEdit(current, patch);
  if (check.ok) throw new Error(`expected problems, got ok: ${JSON.stringify(check)}`);
  return check.problems;
}

function accepted(current: RiskProfile, patch: Record<string, unknown>) {
  const check = validateProfileEdit(current, patch);
  if (!check.ok) throw new Error(`expected ok, got: ${check.problems.join(' ')}`);
  return check;
}

describe('risk profile bounds', () => {
  it('match the seed: low 0.1-0.5 / 2-10 / 1-5, medium 0.5-1.5 / 10-25 / 1-10, high 1-3 / 20-50 / 1-20', () => {
    expect(profileBounds.low).toMatchObject({
      risk_per_trade_pct: { min: 0.1, max: 0.5 },
      max_drawdown_pct: { min: 2, max: 10 },
      max_open_positions: { min: 1, max: 5 },
    });
    expect(profileBounds.medium).toMatchObject({
      risk_per_trade_pct: { min: 0.5, max: 1.5 },
      max_drawdown_pct: { min: 10, max: 25 },
      max_open_positions: { min: 1, max: 10 },
    });
    expect(profileBounds.high).toMatchObject({
      risk_per_trade_pct: { min: 1, max: 3 },
      max_drawdown_pct: { min: 20, max: 50 },
      max_open_positions: { min: 1, max: 20 },
    });
    for (const b of Object.values(profileBounds)) expect(b.category_cap_pct).toEqual({ min: 0.5, max: 25 });
    expect(profileBounds.high.max_leverage).toEqual({ min: 1, max: 10 });
    expect(profileBounds.low.max_leverage).toEqual({ min: 1, max: 1 });
    expect(profileBounds.medium.max_leverage).toEqual({ min: 1, max: 1 });
  });

  it('the seeded rows are inside their bounds (an empty edit is valid and changes nothing)', () => {
    for (const p of Object.values(seeded))
      expect(accepted(p, {})).toMatchObject({ changes: [], warnings: [], next: p });
  });

  it('accepts both ends of every range and refuses just outside them', () => {
    for (const p of Object.values(seeded)) {
      const b = profileBounds[p.profile];
      for (const field of ['risk_per_trade_pct', 'max_drawdown_pct'] as const) {
        for (const v of [b[field].min, b[field].max]) accepted({ ...p, category_cap_pct: 25 }, { [field]: v });
        expect(problemsOf({ ...p, category_cap_pct: 25 }, { [field]: b[field].max + 0.01 })).toEqual([
          `${field} must be between ${b[field].min} and ${b[field].max} in the ${p.profile} profile, not ${b[field].max + 0.01}.`,
        ]);
        expect(problemsOf(p, { [field]: b[field].min - 0.01 })[0]).toMatch(new RegExp(`^${field} must be between`));
      }
      accepted(p, { max_open_positions: b.max_open_positions.max });
      expect(problemsOf(p, { max_open_positions: b.max_open_positions.max + 1 })).toHaveLength(1);
      expect(problemsOf(p, { max_open_positions: 0 })).toHaveLength(1);
      accepted(p, { category_cap_pct: 25 });
      expect(problemsOf(p, { category_cap_pct: 25.5 })).toEqual([
        `category_cap_pct must be between 0.5 and 25 in the ${p.profile} profile, not 25.5.`,
      ]);
    }
  });

  it('reports every problem at once, one sentence each starting with its field', () => {
    const problems = problemsOf(seeded.high, {
      risk_per_trade_pct: 5,
      max_drawdown_pct: 60,
      max_open_positions: 2.5,
      category_cap_pct: 0.2,
      allow_leverage: 'yes',
      max_leverage: 11,
      bogus: 1,
    });
    expect(problems).toEqual([
      'risk_per_trade_pct must be between 1 and 3 in the high profile, not 5.',
      'max_drawdown_pct must be between 20 and 50 in the high profile, not 60.',
      'max_open_positions must be a whole number, not 2.5.',
      'category_cap_pct must be between 0.5 and 25 in the high profile, not 0.2.',
      'max_leverage must be between 1 and 10 in the high profile, not 11.',
      "allow_leverage must be true or false, not 'yes'.",
      `bogus is not an editable field; the editable fields are ${editableFields.join(', ')}.`,
      'category_cap_pct must not be below risk_per_trade_pct (0.2 < 5), or a single trade would break the category cap.',
    ]);
  });

  it('refuses text and non-finite numbers with the value shown', () => {
    expect(problemsOf(seeded.medium, { risk_per_trade_pct: 'abc' })).toEqual([
      "risk_per_trade_pct must be a number, not 'abc'.",
    ]);
    expect(problemsOf(seeded.medium, { max_drawdown_pct: Number.NaN })).toEqual([
      'max_drawdown_pct must be a number, not NaN.',
    ]);
    expect(problemsOf(seeded.medium, { max_drawdown_pct: Number.POSITIVE_INFINITY })).toHaveLength(1);
  });

  it('the profile name itself cannot be edited', () => {
    expect(problemsOf(seeded.low, { profile: 'high' })).toEqual([
      `profile is not an editable field; the editable fields are ${editableFields.join(', ')}.`,
    ]);
  });

  it('keeps the category cap at or above one trade of risk, also when only the risk is raised', () => {
    expect(problemsOf({ ...seeded.medium, category_cap_pct: 1 }, { risk_per_trade_pct: 1.5 })).toEqual([
      'category_cap_pct must not be below risk_per_trade_pct (1 < 1.5), or a single trade would break the category cap.',
    ]);
    accepted({ ...seeded.medium, category_cap_pct: 1.5 }, { risk_per_trade_pct: 1.5 });
  });

  it('leverage is hardcoded off in low and medium, configurable 1-10x in high', () => {
    for (const p of [seeded.low, seeded.medium]) {
      expect(problemsOf(p, { allow_leverage: true, max_leverage: 2 })).toEqual([
        `max_leverage is fixed at 1 in the ${p.profile} profile, not 2.`,
        `allow_leverage can only be true in the high profile (${p.profile} never uses leverage).`,
      ]);
      accepted(p, { allow_leverage: false, max_leverage: 1 });
    }
    expect(accepted(seeded.high, { allow_leverage: true, max_leverage: 10 }).next).toMatchObject({
      allow_leverage: true,
      max_leverage: 10,
    });
  });

  it('lists what changed with old and new values', () => {
    const check = accepted(seeded.medium, { risk_per_trade_pct: 0.75, max_open_positions: 5, max_drawdown_pct: 15 });
    expect(check.changes).toEqual([
      { field: 'risk_per_trade_pct', from: 1, to: 0.75 },
      { field: 'max_drawdown_pct', from: 20, to: 15 },
    ]);
    expect(check.next).toEqual({ ...seeded.medium, risk_per_trade_pct: 0.75, max_drawdown_pct: 15 });
  });
});

describe('values that need an extra confirmation', () => {
  it(`high risk above ${confirmAbove.risk_per_trade_pct}% and drawdown above ${confirmAbove.max_drawdown_pct}% warn in plain language`, () => {
    const check = accepted(seeded.high, { risk_per_trade_pct: 2.6, max_drawdown_pct: 41 });
    expect(check.warnings).toEqual([
      'Each trade may lose up to 2.6% of equity: ten losing trades in a row would cost about 23.2% of the account.',
      'Trading would only halt after equity falls 41% from its peak, and recovering from a 41% loss takes a 69.5% gain.',
    ]);
  });

  it('at the thresholds, or when lowering a value that stays above them, nothing needs confirming', () => {
    expect(accepted(seeded.high, { risk_per_trade_pct: 2.5, max_drawdown_pct: 40 }).warnings).toEqual([]);
    const risky = { ...seeded.high, risk_per_trade_pct: 3, max_drawdown_pct: 50 };
    expect(accepted(risky, { risk_per_trade_pct: 2.8, max_drawdown_pct: 45 }).warnings).toEqual([]);
    expect(accepted(risky, { max_open_positions: 3 }).warnings).toEqual([]);
  });

  it('allowing leverage, or raising max_leverage while it is allowed, warns; lowering does not', () => {
    expect(accepted(seeded.high, { allow_leverage: true }).warnings).toEqual([
      'Leverage up to 3x becomes possible once activated: at 3x a 33.3% price move against a position wipes out its margin, and a price gap can lose more than the stop allows.',
    ]);
    const allowed = { ...seeded.high, allow_leverage: true };
    expect(accepted(allowed, { max_leverage: 5 }).warnings).toHaveLength(1);
    expect(accepted(allowed, { max_leverage: 2 }).warnings).toEqual([]);
    expect(accepted(allowed, { allow_leverage: false }).warnings).toEqual([]);
    // Raising max_leverage while leverage stays disallowed changes nothing that can lose money.
    expect(accepted(seeded.high, { max_leverage: 5 }).warnings).toEqual([]);
  });
});

describe('isRaise and raiseWarning', () => {
  it('orders low < medium < high', () => {
    expect([isRaise('low', 'medium'), isRaise('low', 'high'), isRaise('medium', 'high')]).toEqual([true, true, true]);
    expect([isRaise('high', 'medium'), isRaise('high', 'low'), isRaise('medium', 'low')]).toEqual([
      false,
      false,
      false,
    ]);
    expect([isRaise('low', 'low'), isRaise('medium', 'medium'), isRaise('high', 'high')]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('says what the switch means for losses, with both profiles numbers', () => {
    expect(raiseWarning(seeded.medium, seeded.high)).toBe(
      'Switching from medium to high lets each trade lose up to 2% of equity instead of 1%, allows 8 open positions instead of 5, ' +
        'and only halts trading after a 35% fall from peak instead of 20%: losses can come faster and grow larger.',
    );
    expect(raiseWarning(seeded.medium, { ...seeded.high, allow_leverage: true })).toMatch(
      /Leverage up to 3x becomes possible once activated, which multiplies losses too\.$/,
    );
  });
});
