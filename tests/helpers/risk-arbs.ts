/** Random risk profiles within their allowed ranges, shared by the risk gate and sizer property tests. */
import fc from 'fast-check';
import { profileBounds } from '../../trading/risk-profiles.ts';
import type { GateInput } from '../../trading/risk-gate/gate.ts';
import type { RiskProfile, RiskProfileName } from '../../trading/state-repo.ts';

export const profileNames: RiskProfileName[] = ['low', 'medium', 'high'];

/** A finite double in [min, max]. */
export const num = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Any profile's parameters within its bounds; the category cap never below the risk per trade, leverage only in High. */
export const profileArb: fc.Arbitrary<RiskProfile> = fc.constantFrom(...profileNames).chain((name) => {
  const b = profileBounds[name];
  return num(b.risk_per_trade_pct.min, b.risk_per_trade_pct.max).chain((risk) =>
    fc.record({
      profile: fc.constant(name),
      risk_per_trade_pct: fc.constant(risk),
      max_drawdown_pct: num(b.max_drawdown_pct.min, b.max_drawdown_pct.max),
      max_open_positions: fc.integer(b.max_open_positions),
      category_cap_pct: num(Math.max(risk, b.category_cap_pct.min), b.category_cap_pct.max),
      allow_leverage: name === 'high' ? fc.boolean() : fc.constant(false),
      max_leverage: num(b.max_leverage.min, b.max_leverage.max),
      // The correlated-cluster rule stays off here; its own property test turns it on.
      cluster_cap_pct: fc.constant(null),
      cluster_min_correlation: fc.constant(0.7),
      cluster_window_days: fc.constant(30),
    }),
  );
});

/** A trade every rule accepts: medium profile, 10,000 equity, a BTC long risking 0.8% with its stop 2% away. */
export function passingGateInput(): GateInput {
  return {
    purpose: 'execute',
    approved: false,
    intent: {
      symbol: 'BTC/USDT',
      side: 'buy',
      qty: 0.08,
      entry: 50_000,
      stop: 49_000,
      take_profits: [{ price: 53_000, fraction: 1 }],
      leverage: 1,
      risk_pct: 0.8,
      risk_amount: 80,
      notional: 4_000,
    },
    state: {
      operational_mode: 'full_auto',
      risk_profile: 'medium',
      halted: false,
      emergency: false,
      leverage_enabled: false,
      drawdown_pct: 5,
    },
    profile: {
      profile: 'medium',
      risk_per_trade_pct: 1,
      max_drawdown_pct: 20,
      max_open_positions: 3,
      category_cap_pct: 3,
      allow_leverage: false,
      max_leverage: 1,
      cluster_cap_pct: null,
      cluster_min_correlation: 0.7,
      cluster_window_days: 30,
    },
    equity: 10_000,
    free_balance: 6_000,
    fee_rate: 0.001,
    slippage_rate: 0,
    category: 'major',
    open_positions: [{ symbol: 'ETH/USDT', category: 'major', risk_amount: 100 }],
  };
}
