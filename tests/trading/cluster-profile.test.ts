import { describe, expect, it } from 'vitest';
import { validateProfileEdit } from '../../trading/risk-profiles.ts';
import type { RiskProfile } from '../../trading/state-repo.ts';

/**
 * The correlated-cluster settings of a risk profile, as `trader risk edit` and `config
 * apply` check them: off by default (null), a cap within the category cap's range and not
 * below one trade's risk, a minimum correlation of 0..1, a window of 7..365 whole days.
 */

const medium: RiskProfile = {
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
};

const problems = (patch: Record<string, unknown>, current = medium) => {
  const check = validateProfileEdit(current, patch);
  return check.ok ? [] : check.problems;
};

describe('correlated-cluster settings of a risk profile', () => {
  it('turn on with a cap, change, and turn off again with null, each change named', () => {
    const on = validateProfileEdit(medium, { cluster_cap_pct: 1.5, cluster_window_days: 60 });
    expect(on).toMatchObject({
      ok: true,
      changes: [
        { field: 'cluster_cap_pct', from: null, to: 1.5 },
        { field: 'cluster_window_days', from: 30, to: 60 },
      ],
      warnings: [],
    });
    const current = { ...medium, cluster_cap_pct: 1.5 };
    expect(validateProfileEdit(current, { cluster_cap_pct: null })).toMatchObject({
      ok: true,
      changes: [{ field: 'cluster_cap_pct', from: 1.5, to: null }],
    });
  });

  it('refuses every value out of its bounds, all named at once', () => {
    expect(problems({ cluster_cap_pct: 30, cluster_min_correlation: -0.2, cluster_window_days: 3.5 })).toEqual([
      'cluster_cap_pct must be between 0.5 and 25 in the medium profile, not 30.',
      'cluster_min_correlation must be between 0 and 1 in the medium profile, not -0.2.',
      'cluster_window_days must be a whole number, not 3.5.',
    ]);
    expect(problems({ cluster_min_correlation: 1.01, cluster_window_days: 366 })).toEqual([
      'cluster_min_correlation must be between 0 and 1 in the medium profile, not 1.01.',
      'cluster_window_days must be between 7 and 365 in the medium profile, not 366.',
    ]);
    expect(problems({ cluster_cap_pct: 'none' })).toEqual(["cluster_cap_pct must be a number, not 'none'."]);
  });

  it('refuses a cap below the risk per trade, which would refuse every trade', () => {
    expect(problems({ cluster_cap_pct: 0.9 })).toEqual([
      'cluster_cap_pct must not be below risk_per_trade_pct (0.9 < 1), or a single trade would break the cluster cap.',
    ]);
    // Raising the risk per trade above an existing cap is refused the same way.
    expect(problems({ risk_per_trade_pct: 1.5 }, { ...medium, cluster_cap_pct: 1.2 })).toEqual([
      'cluster_cap_pct must not be below risk_per_trade_pct (1.2 < 1.5), or a single trade would break the cluster cap.',
    ]);
  });
});
