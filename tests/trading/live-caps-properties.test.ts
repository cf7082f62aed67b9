import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkIntent, type GateInput } from '../../trading/risk-gate/gate.ts';
import { num, passingGateInput } from '../helpers/risk-arbs.ts';

/**
 * LIVE's notional caps in the risk gate: whatever the order, the caps and what today's
 * entries used, no intent the gate lets through (to propose or to execute) has a
 * notional over the per-order cap, or takes the day over the daily cap. The notional is
 * re-derived here as qty x entry, whatever the intent claims.
 */

const capsArb = fc
  .record({
    perOrder: num(1, 50_000),
    dayFactor: num(1, 5),
    usedShare: num(0, 1.2),
  })
  .map(({ perOrder, dayFactor, usedShare }) => ({
    max_order_notional: perOrder,
    max_daily_notional: perOrder * dayFactor,
    used_today: perOrder * dayFactor * usedShare,
  }));

const liveInputArb: fc.Arbitrary<GateInput> = fc
  .record({
    caps: capsArb,
    purpose: fc.constantFrom('propose', 'execute') as fc.Arbitrary<GateInput['purpose']>,
    entry: num(1, 100_000),
    notional: num(0.5, 60_000),
    claimed: num(0, 100_000),
  })
  .map(({ caps, purpose, entry, notional, claimed }) => {
    const base = passingGateInput();
    const qty = notional / entry;
    const stop = entry * 0.98;
    const risk = (entry - stop) * qty;
    return {
      ...base,
      purpose,
      approved: purpose === 'execute',
      state: { ...base.state, operational_mode: purpose === 'execute' ? 'full_auto' : 'semi_auto' },
      intent: { ...base.intent, qty, entry, stop, take_profits: [], risk_amount: risk, notional: claimed },
      // Everything else generous, so that the caps decide most verdicts.
      equity: 1e9,
      free_balance: 1e9,
      open_positions: [],
      live_caps: caps,
    };
  });

describe('LIVE notional caps in the risk gate', () => {
  it('no intent passing the gate exceeds the per-order cap or the daily cap', () => {
    let passed = 0;
    fc.assert(
      fc.property(liveInputArb, (input) => {
        const v = checkIntent(input);
        const caps = input.live_caps!;
        const notional = input.intent.qty * input.intent.entry;
        const within = notional <= caps.max_order_notional && caps.used_today + notional <= caps.max_daily_notional;
        expect(v.checks.find((c) => c.rule === 'live_notional_caps')!.ok).toBe(within);
        if (v.ok) {
          passed++;
          expect(notional).toBeLessThanOrEqual(caps.max_order_notional);
          expect(caps.used_today + notional).toBeLessThanOrEqual(caps.max_daily_notional);
        }
      }),
      { numRuns: 1000 },
    );
    // The property bites only if some inputs pass.
    expect(passed).toBeGreaterThan(50);
  });

  it('LIVE without an account refuses every order, and observing is not capped', () => {
    const input = { ...passingGateInput(), live_caps: null };
    const refused = checkIntent(input);
    expect(refused.ok).toBe(false);
    expect(refused.reasons).toEqual(['there is no LIVE account; run `trader live init` before any LIVE order']);
    expect(checkIntent({ ...input, purpose: 'observe' }).ok).toBe(true);
    expect(checkIntent({ ...passingGateInput(), live_caps: undefined }).ok).toBe(true);
  });

  it('names both caps in one sentence', () => {
    const input = {
      ...passingGateInput(),
      live_caps: { max_order_notional: 3_000, max_daily_notional: 5_000, used_today: 2_000 },
    };
    expect(checkIntent(input).reasons).toEqual([
      "notional 4000.00 is over the per-order cap of 3000.00, and today's LIVE entries with it (6000.00) are over the daily cap of 5000.00",
    ]);
  });
});
