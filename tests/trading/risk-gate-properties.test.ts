import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkIntent, type GateInput, type GateRuleName } from '../../trading/risk-gate/gate.ts';
import type { RiskProfile } from '../../trading/state-repo.ts';
import { num, profileArb, profileNames } from '../helpers/risk-arbs.ts';

/**
 * Properties of the risk gate over random profiles (within their bounds), states,
 * equity, open positions and intents. The invariants are re-derived here from the
 * raw numbers, independently of the gate's own code.
 */

const names = profileNames;
const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT', 'ADA/USDT', 'DOGE/USDT'];
const categories = ['major', 'alt', 'meme'];
/** Mostly `usual`, sometimes `rare`: keeps enough inputs passing every rule for the property to bite. */
const mostly = <T>(usual: T, rare: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(usual), weight: 4 }, { arbitrary: rare, weight: 1 });

const openArb = fc.record({
  symbol: fc.constantFrom(...symbols),
  category: fc.constantFrom(...categories),
  risk_share: num(0, 1),
});

const scenarioArb: fc.Arbitrary<GateInput> = profileArb.chain((profile) =>
  fc
    .record({
      purpose: fc.constantFrom('observe', 'propose', 'execute') as fc.Arbitrary<GateInput['purpose']>,
      approved: fc.boolean(),
      mode: fc.constantFrom('observe', 'semi_auto', 'full_auto') as fc.Arbitrary<
        GateInput['state']['operational_mode']
      >,
      activeProfile: mostly(profile.profile, fc.constantFrom(...names)),
      halted: mostly(false, fc.boolean()),
      emergency: mostly(false, fc.boolean()),
      leverageEnabled: fc.boolean(),
      drawdown: fc.oneof(num(0, 10), num(0, 60)),
      equity: num(100, 1_000_000),
      side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'>,
      entry: num(0.001, 100_000),
      stopFraction: num(0.001, 0.5),
      riskShare: num(0.01, 1.3), // of the profile's limit
      claimedRisk: num(0.01, 5),
      leverage: mostly(1, num(1, 12)),
      symbol: fc.constantFrom(...symbols),
      category: fc.constantFrom(...categories),
      open: fc.oneof(fc.array(openArb, { maxLength: 0 }), fc.array(openArb, { maxLength: 6 })),
      freeShare: mostly(20, num(0, 3)),
      feeRate: num(0, 0.002),
      slippageRate: mostly(0, num(0, 0.01)),
    })
    .map((s): GateInput => {
      const stop = s.side === 'buy' ? s.entry * (1 - s.stopFraction) : s.entry * (1 + s.stopFraction);
      const riskAmount = (s.equity * profile.risk_per_trade_pct * s.riskShare) / 100;
      const qty = riskAmount / Math.abs(s.entry - stop);
      return {
        purpose: s.purpose,
        approved: s.approved,
        intent: {
          symbol: s.symbol,
          side: s.side,
          qty,
          entry: s.entry,
          stop,
          take_profits: [{ price: s.side === 'buy' ? s.entry * 1.1 : s.entry * 0.9, fraction: 1 }],
          leverage: s.leverage,
          risk_pct: s.claimedRisk,
          risk_amount: riskAmount,
          notional: qty * s.entry,
        },
        state: {
          operational_mode: s.mode,
          risk_profile: s.activeProfile,
          halted: s.halted || s.emergency,
          emergency: s.emergency,
          leverage_enabled: s.leverageEnabled,
          drawdown_pct: s.drawdown,
        },
        profile,
        equity: s.equity,
        free_balance: s.equity * s.freeShare,
        fee_rate: s.feeRate,
        slippage_rate: s.slippageRate,
        category: s.category,
        open_positions: s.open.map((p) => ({
          symbol: p.symbol,
          category: p.category,
          risk_amount: (s.equity * profile.risk_per_trade_pct * p.risk_share) / 100,
        })),
      };
    }),
);

const tolerance = 1e-9;
const riskOf = (i: GateInput) => Math.abs(i.intent.entry - i.intent.stop) * i.intent.qty;
const ruleOf = (input: GateInput, rule: GateRuleName) => checkIntent(input).checks.find((c) => c.rule === rule)!;

describe('risk gate properties', () => {
  it('the verdict is ok exactly when every check is, and its reasons are all the failed details', () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const v = checkIntent(input);
        expect(v.ok).toBe(v.checks.every((c) => c.ok));
        expect(v.reasons).toEqual(v.checks.filter((c) => !c.ok).map((c) => c.detail));
        expect(v.checks).toHaveLength(14);
      }),
      { numRuns: 500 },
    );
  });

  it('an executable verdict always respects mode, halt, risk, leverage, positions, category cap, drawdown, liquidation and margin', () => {
    let passed = 0;
    fc.assert(
      fc.property(scenarioArb, (generated) => {
        const input: GateInput = { ...generated, purpose: 'execute' };
        if (!checkIntent(input).ok) return;
        passed++;
        const { intent, state, profile, equity } = input;
        expect(
          state.operational_mode === 'full_auto' || (state.operational_mode === 'semi_auto' && input.approved),
        ).toBe(true);
        expect(state.halted || state.emergency).toBe(false);
        expect(profile.profile).toBe(state.risk_profile);
        expect(intent.side === 'buy' ? intent.stop < intent.entry : intent.stop > intent.entry).toBe(true);
        expect(equity).toBeGreaterThan(0);
        expect((riskOf(input) / equity) * 100).toBeLessThanOrEqual(profile.risk_per_trade_pct + tolerance);
        if (intent.leverage > 1) {
          expect([profile.profile, profile.allow_leverage, state.leverage_enabled]).toEqual(['high', true, true]);
          expect(intent.leverage).toBeLessThanOrEqual(profile.max_leverage);
          expect(Math.abs(intent.entry - intent.stop) / intent.entry).toBeLessThan(1 / intent.leverage - 0.005);
        } else expect(intent.leverage).toBe(1);
        expect(input.open_positions.length).toBeLessThan(profile.max_open_positions);
        expect(input.open_positions.map((p) => p.symbol)).not.toContain(intent.symbol);
        const categoryRisk =
          input.open_positions.filter((p) => p.category === input.category).reduce((sum, p) => sum + p.risk_amount, 0) +
          riskOf(input);
        expect((categoryRisk / equity) * 100).toBeLessThanOrEqual(profile.category_cap_pct + tolerance);
        expect(state.drawdown_pct).toBeLessThan(profile.max_drawdown_pct);
        const worstNotional = intent.qty * intent.entry * (1 + input.slippage_rate);
        expect(worstNotional / intent.leverage + worstNotional * input.fee_rate).toBeLessThanOrEqual(
          input.free_balance + tolerance,
        );
      }),
      { numRuns: 3000 },
    );
    // The property above says nothing if no input ever passed.
    expect(passed).toBeGreaterThan(0);
  });

  /** For each rule: a way to break exactly its condition, starting from any scenario. */
  const violations: [GateRuleName, fc.Arbitrary<GateInput>][] = [
    [
      'not_halted',
      fc
        .tuple(scenarioArb, fc.constantFrom('propose', 'execute') as fc.Arbitrary<GateInput['purpose']>, fc.boolean())
        .map(([i, purpose, emergency]) => ({ ...i, purpose, state: { ...i.state, halted: true, emergency } })),
    ],
    [
      'mode_allows',
      fc
        .tuple(
          scenarioArb,
          fc.constantFrom<[GateInput['purpose'], GateInput['state']['operational_mode'], boolean][]>(
            ['execute', 'observe', true],
            ['execute', 'semi_auto', false],
            ['propose', 'observe', false],
            ['propose', 'full_auto', true],
          ),
        )
        .map(([i, [purpose, mode, approved]]) => ({
          ...i,
          purpose,
          approved,
          state: { ...i.state, operational_mode: mode },
        })),
    ],
    [
      'profile_matches',
      fc.tuple(scenarioArb, fc.integer({ min: 1, max: 2 })).map(([i, k]) => ({
        ...i,
        state: { ...i.state, risk_profile: names[(names.indexOf(i.profile.profile) + k) % 3]! },
      })),
    ],
    [
      'stop_protective',
      fc.tuple(scenarioArb, num(0, 0.5)).map(([i, f]) => {
        const wrong = i.intent.side === 'buy' ? i.intent.entry * (1 + f) : i.intent.entry * (1 - f);
        return { ...i, intent: { ...i.intent, stop: wrong } };
      }),
    ],
    [
      'risk_per_trade',
      // Claims a harmless risk_pct; the real risk is above the limit.
      fc.tuple(scenarioArb, num(1.001, 10)).map(([i, over]) => ({
        ...i,
        intent: {
          ...i.intent,
          qty: (i.equity * i.profile.risk_per_trade_pct * over) / 100 / Math.abs(i.intent.entry - i.intent.stop),
          risk_pct: i.profile.risk_per_trade_pct / 2,
        },
      })),
    ],
    ['risk_per_trade', fc.tuple(scenarioArb, num(-1000, 0)).map(([i, equity]) => ({ ...i, equity }))],
    [
      'max_open_positions',
      scenarioArb.map((i) => ({
        ...i,
        open_positions: Array.from({ length: i.profile.max_open_positions }, (_, k) => ({
          symbol: `X${k}/USDT`,
          category: 'other',
          risk_amount: 0,
        })),
      })),
    ],
    [
      'one_position_per_symbol',
      scenarioArb.map((i) => ({
        ...i,
        open_positions: [...i.open_positions, { symbol: i.intent.symbol, category: 'other', risk_amount: 0 }],
      })),
    ],
    [
      'category_cap',
      fc.tuple(scenarioArb, num(0, 1)).map(([i, extra]) => ({
        ...i,
        open_positions: [
          ...i.open_positions,
          {
            symbol: 'FILL/USDT',
            category: i.category,
            risk_amount: (i.equity * (i.profile.category_cap_pct + extra)) / 100,
          },
        ],
      })),
    ],
    [
      'drawdown',
      fc
        .tuple(scenarioArb, num(0, 50))
        .map(([i, over]) => ({ ...i, state: { ...i.state, drawdown_pct: i.profile.max_drawdown_pct + over } })),
    ],
    [
      'leverage_permitted',
      fc
        .tuple(scenarioArb, num(1.01, 10), fc.constantFrom('profile', 'allow', 'enabled', 'max'))
        .map(([i, leverage, broken]) => {
          const profile: RiskProfile = {
            ...i.profile,
            profile: broken === 'profile' ? 'medium' : 'high',
            allow_leverage: broken !== 'allow',
            max_leverage: broken === 'max' ? leverage / 1.01 : 10,
          };
          return {
            ...i,
            profile,
            intent: { ...i.intent, leverage },
            state: { ...i.state, leverage_enabled: broken !== 'enabled' },
          };
        }),
    ],
    [
      'liquidation_after_stop',
      fc.tuple(scenarioArb, num(1.05, 10), num(1e-9, 0.04)).map(([i, leverage, beyond]) => {
        const distance = 1 / leverage - 0.005 + beyond;
        const stop = i.intent.side === 'buy' ? i.intent.entry * (1 - distance) : i.intent.entry * (1 + distance);
        return { ...i, intent: { ...i.intent, leverage, stop } };
      }),
    ],
    [
      'margin',
      fc.tuple(scenarioArb, num(0.001, 1)).map(([i, short]) => {
        const notional = i.intent.qty * i.intent.entry * (1 + i.slippage_rate);
        return { ...i, free_balance: (notional / i.intent.leverage + notional * i.fee_rate) * (1 - short) };
      }),
    ],
    [
      'live_notional_caps',
      fc
        .tuple(scenarioArb, fc.constantFrom('propose', 'execute') as fc.Arbitrary<GateInput['purpose']>, num(0.001, 1))
        .map(([i, purpose, short]) => {
          const notional = i.intent.qty * i.intent.entry;
          return {
            ...i,
            purpose,
            live_caps: { max_order_notional: notional * (1 - short), max_daily_notional: notional * 10, used_today: 0 },
          };
        }),
    ],
  ];

  it.each(violations)('breaking %s always fails that rule, and the verdict names it', (rule, arb) => {
    fc.assert(
      fc.property(arb, (input) => {
        const v = checkIntent(input);
        const check = ruleOf(input, rule);
        expect(check.ok).toBe(false);
        expect(v.ok).toBe(false);
        expect(v.reasons).toContain(check.detail);
      }),
      { numRuns: 300 },
    );
  });
});
