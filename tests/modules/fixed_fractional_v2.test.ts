import { leverageFor } from '../../sdk/sizing.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as allocator from '../../modules/risk/risk_allocator_v1.ts';
import * as atrStop from '../../modules/risk/atr_stop_v1.ts';
import { manifest, run } from '../../modules/risk/fixed_fractional_v2.ts';
import * as ladder from '../../modules/risk/tp_ladder_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { isMultiple, portfolio, sizingCaseArbs } from '../helpers/module-views.ts';

type Idea = ContextValue<'ideas'>[number];
type View = Parameters<typeof run>[0];
type RiskParams = ContextValue<'risk_params'>;
const params = manifest.params.parse({});
const sdk = { indicators };

const inst: ContextValue<'instrument'> = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  category: 'major',
  price_precision: 2,
  amount_precision: 3,
  tick_size: null,
  min_qty: null,
  min_notional: null,
};
const idea = (over: Partial<Idea> = {}): Idea => ({
  direction: 'long',
  entry: 100,
  stop: 95,
  targets: [110],
  rr: 2,
  score: 0.5,
  confirmations: ['a'],
  ...over,
});
const riskParams = (pct: number, over: Partial<RiskParams> = {}): RiskParams => ({
  multiplier: 1,
  risk_per_trade_pct: pct,
  max_positions: 5,
  category_cap_pct: 5,
  rules_applied: [],
  ...over,
});
const base: View = {
  ideas: [idea()],
  stop_plan: { direction: 'long', entry: 100, stop: 95, method: 'idea stop (wider than atr 2.0x)' },
  exit_plan: {
    take_profits: [
      { price: 107.5, fraction: 0.5 },
      { price: 115, fraction: 0.5 },
    ],
    breakeven_after_tp: 1,
    time_stop_bars: 48,
  },
  risk_params: riskParams(1),
  portfolio: portfolio(1000),
  instrument: inst,
  symbol: 'BTC/USDT',
};

function intents(view: View, p = params) {
  const out = run(view, p, sdk);
  expect(out.rationale.length).toBeGreaterThan(0);
  return {
    list: (out.outputs.intents ?? []).map((i) => contextKeys.intents.schema.parse(i)),
    rationale: out.rationale,
  };
}

describe('fixed_fractional_v2', () => {
  it('exact maths: 1000 x 1% / (100 - 95) = 2 units; stop from stop_plan, take-profits and exit rules from exit_plan', () => {
    const { list, rationale } = intents(base);
    expect(list).toEqual([
      {
        symbol: 'BTC/USDT',
        side: 'buy',
        qty: 2,
        entry: 100,
        stop: 95,
        take_profits: [
          { price: 107.5, fraction: 0.5 },
          { price: 115, fraction: 0.5 },
        ],
        leverage: 1,
        risk_pct: 1,
        risk_amount: 10,
        notional: 200,
        breakeven_after_tp: 1,
        time_stop_bars: 48,
      },
    ]);
    expect(rationale).toContain('equity 1000.00 USDT x 1% (risk_params, no rule) = 10.00 at risk / 5.00 per unit');
  });

  it("never sizes above the active risk profile's limit: 1% from risk_params lowered to a 0.5% profile", () => {
    const { list, rationale } = intents({ ...base, portfolio: { ...base.portfolio, max_risk_pct: 0.5 } });
    expect(list[0]!).toMatchObject({ qty: 1, risk_amount: 5, risk_pct: 0.5 });
    expect(rationale).toContain("risk 1% lowered to the risk profile's limit of 0.5%");
    expect(intents({ ...base, portfolio: { ...base.portfolio, max_risk_pct: 2 } }).list[0]!.qty).toBe(2);
  });

  it('with leverage activated, takes the smallest leverage whose margin and fees fit the free balance; the risk does not change', () => {
    // Spot cannot pay 200 notional from 100: the quantity is cut to what the free balance pays (the gate would refuse 2).
    const spot = intents({ ...base, portfolio: { ...base.portfolio, free_balance: 100, max_leverage: 1 } });
    expect(spot.list[0]!).toMatchObject({ qty: 1, leverage: 1, notional: 100 });
    expect(spot.rationale).toContain('qty cut to 1.00000: what the free balance 100.00 USDT pays');
    // With no costs, 2x makes the margin exactly 100.
    const free = intents({ ...base, portfolio: { ...base.portfolio, free_balance: 100, max_leverage: 5 } });
    expect(free.list[0]!).toMatchObject({ qty: 2, leverage: 2, risk_amount: 10, notional: 200 });
    // With 10 bps fee and 5 bps slippage 2x costs 200.1 / 2 + 0.2001 = 100.25: 3x; a 5% stop keeps liquidation (1/3 - 0.5%) far beyond it.
    const costs = { free_balance: 100, max_leverage: 5, fee_rate: 0.001, slippage_rate: 0.0005 };
    const levered = intents({ ...base, portfolio: { ...base.portfolio, ...costs } });
    expect(levered.list[0]!).toMatchObject({ qty: 2, leverage: 3, risk_amount: 10, notional: 200 });
    expect(levered.rationale).toContain(
      'leverage 3x so the margin and fees 66.90 fit the free balance 100.00 (allowed up to 5x',
    );
    expect(
      intents({ ...base, portfolio: { ...base.portfolio, free_balance: 1000, max_leverage: 5 } }).list[0]!.leverage,
    ).toBe(1);
  });

  it('never levers past the point where liquidation would come before the stop, and then cuts the quantity', () => {
    expect(leverageFor({ notional: 10_000, freeBalance: 100, maxLeverage: 10, stopFraction: 0.2 })).toMatchObject({
      leverage: 4,
    });
    expect(leverageFor({ notional: 10_000, freeBalance: 100, maxLeverage: 10, stopFraction: 0.2 }).note).toContain(
      'leverage 4x, the liquidation-safe most (allowed up to 10x, stop 20.00% away keeps liquidation beyond it up to 4x): margin and fees 2500.00 still exceed the free balance 100.00',
    );
    expect(leverageFor({ notional: 10_000, freeBalance: 100, maxLeverage: 3, stopFraction: 0.01 }).note).toContain(
      'leverage 3x, the maximum',
    );
    expect(leverageFor({ notional: 10_000, freeBalance: undefined, maxLeverage: 3, stopFraction: 0.01 })).toEqual({
      leverage: 1,
      note: null,
    });
    // 1,000 equity x 1% / 5 = 2 units = 200 notional; 3x at most with 20 free pays 66.67: cut to 20 x 3 / 100 = 0.6.
    const cut = intents({ ...base, portfolio: { ...base.portfolio, free_balance: 20, max_leverage: 3 } });
    expect(cut.list[0]!).toMatchObject({ qty: 0.6, leverage: 3 });
  });

  it("uses risk_params' risk (0.25% -> 2.5 / 4 = 0.625) and the stop plan's stop, not the idea's", () => {
    const v: View = {
      ...base,
      risk_params: riskParams(0.25, { multiplier: 0.25, rules_applied: ['risk_off'] }),
      stop_plan: { ...base.stop_plan, stop: 96 },
    };
    const { list, rationale } = intents(v);
    expect(list[0]!).toMatchObject({ qty: 0.625, stop: 96, risk_amount: 2.5, notional: 62.5 });
    expect(rationale).toContain('x 0.25% (risk_params, rules risk_off)');
  });

  it('risk_per_trade_pct 0: no intent, naming the rules', () => {
    const r = intents({
      ...base,
      risk_params: riskParams(0, { multiplier: 0, rules_applied: ['risk_off', 'risk_off_non_major'] }),
    });
    expect(r.list).toEqual([]);
    expect(r.rationale).toBe(
      'No intent: Best idea long (score 0.500) entry 100.00: risk_params allow 0% risk per trade (multiplier 0 from rules risk_off, risk_off_non_major).',
    );
  });

  it('max_risk_pct caps a larger allocation (5% -> 3%: 30 / 5 = 6)', () => {
    const r = intents({ ...base, risk_params: riskParams(5) });
    expect(r.list[0]!.qty).toBe(6);
    expect(r.rationale).toContain('risk 5% capped at max_risk_pct 3%');
  });

  it('short: sell, stop rounded up to the tick, step floor (10 / 1.5 = 6.666)', () => {
    const r = intents({
      ...base,
      ideas: [idea({ direction: 'short', entry: 100, stop: 101, targets: [96] })],
      stop_plan: { direction: 'short', entry: 100, stop: 101.3, method: 'atr 1.0x' },
      exit_plan: { take_profits: [{ price: 96, fraction: 1 }], breakeven_after_tp: null, time_stop_bars: null },
      instrument: { ...inst, tick_size: 0.5 },
    });
    expect(r.list[0]!).toMatchObject({
      side: 'sell',
      stop: 101.5,
      qty: 6.666,
      take_profits: [{ price: 96, fraction: 1 }],
    });
  });

  it('unknown amount precision falls back to default_amount_decimals (10 / 3 = 3.33 at 2 decimals)', () => {
    const v: View = {
      ...base,
      stop_plan: { ...base.stop_plan, stop: 97 },
      instrument: { ...inst, amount_precision: null },
    };
    const r = intents(v, manifest.params.parse({ default_amount_decimals: 2 }));
    expect(r.list[0]!.qty).toBe(3.33);
    expect(r.rationale).toContain('precision unknown: default_amount_decimals');
  });

  it('notional cap: 50% of 1000 = 500 -> qty 5 instead of 10 (stop 1 away)', () => {
    const v: View = { ...base, stop_plan: { ...base.stop_plan, stop: 99 } };
    const r = intents(v, manifest.params.parse({ max_notional_pct: 50 }));
    expect(r.list[0]!).toMatchObject({ qty: 5, notional: 500, risk_amount: 5 });
    expect(r.rationale).toContain('capped to 50% of equity');
  });

  it('min_qty and min_notional boundaries: exactly at the minimum passes, just above it fails', () => {
    expect(intents({ ...base, instrument: { ...inst, min_qty: 2 } }).list).toHaveLength(1);
    const q = intents({ ...base, instrument: { ...inst, min_qty: 2.001 } });
    expect(q.list).toEqual([]);
    expect(q.rationale).toContain('below min_qty 2.001');
    expect(intents({ ...base, instrument: { ...inst, min_notional: 200 } }).list).toHaveLength(1);
    const n = intents({ ...base, instrument: { ...inst, min_notional: 200.01 } });
    expect(n.list).toEqual([]);
    expect(n.rationale).toContain('notional 200.00 below min_notional 200.01');
    const zero = intents({ ...base, portfolio: portfolio(0.01) });
    expect(zero.rationale).toContain('the quantity rounds to 0');
  });

  it('mismatched or invalid plans give no intent with the reason', () => {
    expect(intents({ ...base, ideas: [] }).rationale).toBe('No intent: there is no idea to size.');
    expect(intents({ ...base, portfolio: portfolio(0) }).rationale).toBe(
      'No intent: equity is 0 USDT, nothing to risk.',
    );
    expect(intents({ ...base, stop_plan: { ...base.stop_plan, entry: 101 } }).rationale).toContain(
      'the stop plan (long entry 101.00) is not for this idea',
    );
    expect(intents({ ...base, stop_plan: { ...base.stop_plan, stop: 100 } }).rationale).toContain(
      'is not on the loss side',
    );
    const tp = intents({ ...base, exit_plan: { ...base.exit_plan, take_profits: [{ price: 99, fraction: 1 }] } });
    expect(tp.list).toEqual([]);
    expect(tp.rationale).toContain('take-profit 99.00 is not beyond the entry');
  });

  it('is deterministic', () => {
    expect(run(base, params, sdk)).toEqual(run(base, params, sdk));
  });

  it('params: defaults and validation', () => {
    expect(params).toEqual({ max_risk_pct: 3, max_notional_pct: 100, default_amount_decimals: 8 });
    expect(manifest.params.safeParse({ max_risk_pct: 0 }).success).toBe(false);
    expect(manifest.params.safeParse({ max_notional_pct: 101 }).success).toBe(false);
    expect(manifest.params.safeParse({ risk_pct: 1 }).success).toBe(false);
    expect(manifest.version).toBe('2.3.0');
  });

  it('chains with risk_allocator_v1, atr_stop_v1 and tp_ladder_v1', () => {
    const runInfo: ContextValue<'run'> = {
      run_id: '3f0c6a1e-8d9b-4c7a-9e2f-1b2c3d4e5f60',
      pipeline_id: 'p',
      strategy_id: null,
      system_mode: 'TEST',
      operational_mode: 'observe',
      risk_profile: 'high',
      exchange: 'binance',
      timeframe: '1h',
      as_of: '2024-01-26T10:00:00Z',
      trigger: 'cli',
    };
    const rp = allocator.run(
      {
        market_regime: { regime: 'risk_off', rule: 't' },
        liquidity: { avg_quote_volume: 1e6, spread_proxy_pct: 0.1, tier: 'high', category: 'major' },
        instrument: inst,
        run: runInfo,
      },
      allocator.manifest.params.parse({}),
      sdk,
    ).outputs.risk_params!; // 2% x 0.25 = 0.5%
    const sp = atrStop.run(
      { ideas: [idea()], volatility: { atr: 3, atr_pct: 3, band: 'normal' } },
      atrStop.manifest.params.parse({}),
      sdk,
    ).outputs.stop_plan!; // 94
    const ep = ladder.run({ ideas: [idea()], stop_plan: sp }, ladder.manifest.params.parse({}), sdk).outputs.exit_plan!; // R 6: 109, 118
    const { list } = intents({ ...base, risk_params: rp, stop_plan: sp, exit_plan: ep, portfolio: portfolio(12_000) });
    // 12,000 x 0.5% = 60 / 6 = 10 units
    expect(list[0]!).toMatchObject({
      qty: 10,
      stop: 94,
      risk_amount: 60,
      take_profits: [
        { price: 109, fraction: 0.5 },
        { price: 118, fraction: 0.5 },
      ],
    });
  });
});

describe('fixed_fractional_v2 sizing invariants (property-based)', () => {
  it('realised risk <= budget, qty a multiple of the step, never below min notional or min qty, within the notional cap', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...sizingCaseArbs(),
          defaultDecimals: fc.integer({ min: 0, max: 12 }),
          risk_pct: fc.double({ min: 0, max: 10, noNaN: true }),
          max_risk_pct: fc.double({ min: 0.01, max: 10, noNaN: true }),
          max_notional_pct: fc.double({ min: 1, max: 100, noNaN: true }),
          min_notional: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
          min_qty: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: null }),
          tickDecimals: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
        }),
        (a) => {
          const sign = a.long ? 1 : -1;
          const stop = a.entry * (1 - sign * a.stopFrac);
          const tick = a.tickDecimals === null ? null : 10 ** -a.tickDecimals;
          const p = manifest.params.parse({
            max_risk_pct: a.max_risk_pct,
            max_notional_pct: a.max_notional_pct,
            default_amount_decimals: a.defaultDecimals,
          });
          const dir = a.long ? 'long' : 'short';
          const view: View = {
            ideas: [idea({ direction: dir, entry: a.entry, stop, targets: [a.long ? a.entry * 2 : a.entry / 2] })],
            stop_plan: { direction: dir, entry: a.entry, stop, method: 'test' },
            exit_plan: {
              take_profits: [{ price: a.long ? a.entry * 2 : a.entry / 2, fraction: 1 }],
              breakeven_after_tp: null,
              time_stop_bars: null,
            },
            risk_params: riskParams(a.risk_pct),
            portfolio: portfolio(a.equity),
            instrument: {
              ...inst,
              amount_precision: a.precision,
              tick_size: tick,
              min_qty: a.min_qty,
              min_notional: a.min_notional,
            },
            symbol: 'BTC/USDT',
          };
          const { list, rationale } = intents(view, p);
          if (list.length === 0) {
            expect(rationale).toMatch(
              /^No intent: .*(risk_params allow 0%|rounds to 0|below min_qty|below min_notional|not a positive price)/,
            );
            if (a.risk_pct === 0) expect(rationale).toContain('risk_params allow 0%');
            return;
          }
          expect(a.risk_pct).toBeGreaterThan(0);
          const t = list[0]!;
          const budget = (a.equity * Math.min(a.risk_pct, a.max_risk_pct)) / 100;
          const dist = sign * (t.entry - t.stop);
          expect(dist).toBeGreaterThanOrEqual(a.entry * a.stopFrac * (1 - 1e-9)); // tick rounding never tightens
          expect(t.qty * dist).toBeLessThanOrEqual(budget);
          expect(t.risk_amount).toBeLessThanOrEqual(budget);
          expect(t.qty * t.entry).toBeLessThanOrEqual((a.equity * a.max_notional_pct) / 100);
          expect(isMultiple(t.qty, 10 ** -(a.precision ?? a.defaultDecimals))).toBe(true);
          if (a.min_notional !== null) expect(t.notional).toBeGreaterThanOrEqual(a.min_notional);
          if (a.min_qty !== null) expect(t.qty).toBeGreaterThanOrEqual(a.min_qty);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
