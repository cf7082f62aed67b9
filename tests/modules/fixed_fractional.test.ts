import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as confluence from '../../modules/confluence/n_of_m_v1.ts';
import { manifest, run } from '../../modules/risk/fixed_fractional_v1.ts';
import { contextKeys, indicators, type ContextValue } from '../../sdk/index.ts';
import { isMultiple, portfolio, realBreakout, sizingCaseArbs } from '../helpers/module-views.ts';

type Idea = ContextValue<'ideas'>[number];
type View = Parameters<typeof run>[0];
const params = manifest.params.parse({});
const sdk = { indicators };

const btc: ContextValue<'instrument'> = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  category: 'spot',
  price_precision: 2,
  amount_precision: 5,
  tick_size: 0.01,
  min_qty: 0.00001,
  min_notional: 5,
};
const idea = (over: Partial<Idea> = {}): Idea => ({
  direction: 'long',
  entry: 100,
  stop: 95,
  targets: [110, 115],
  rr: 2,
  score: 0.5,
  confirmations: ['breakout_v1'],
  ...over,
});

function intents(view: View, p = params) {
  const out = run(view, p, sdk);
  return {
    list: (out.outputs.intents ?? []).map((i) => contextKeys.intents.schema.parse(i)),
    rationale: out.rationale,
  };
}

/** The full chain on real candles up to 2024-01-26 10:00 UTC, where breakout_v1 fires long. */
function realIdea() {
  const { signals, volatility } = realBreakout();
  const ideas = confluence.run({ signals }, confluence.manifest.params.parse({}), sdk).outputs.ideas!;
  expect(ideas).toHaveLength(1);
  return { idea: ideas[0]!, volatility };
}

describe('fixed_fractional_v1 on the real 2024-01-26 breakout', () => {
  it('sizes 1% of 10,000 USDT, capped at 100% notional, floored to 0.00001 BTC', () => {
    const { idea: i, volatility } = realIdea();
    const { list, rationale } = intents({
      ideas: [i],
      portfolio: portfolio(10_000),
      instrument: btc,
      volatility,
      symbol: 'BTC/USDT',
    });
    expect(list).toHaveLength(1);
    const t = list[0]!;
    const stop = Math.floor(i.stop * 100) / 100; // rounded down to the 0.01 tick
    expect(t.stop).toBeCloseTo(stop, 9);
    const dist = t.entry - t.stop;
    // 100 USDT / 367.06 = 0.2724 BTC would be 11,086 USDT > equity: capped to 10,000 / 40692.64 = 0.245745.. -> 0.24574
    expect((100 / dist) * t.entry).toBeGreaterThan(10_000);
    expect(t.qty).toBe(0.24574);
    expect(t.notional).toBeCloseTo(0.24574 * 40692.64, 9);
    expect(t.notional).toBeLessThanOrEqual(10_000);
    expect(t.risk_amount).toBeCloseTo(0.24574 * dist, 9);
    expect(t.risk_amount).toBeLessThanOrEqual(100);
    expect(t.risk_pct).toBeCloseTo(t.risk_amount / 100, 12);
    expect(t).toMatchObject({ symbol: 'BTC/USDT', side: 'buy', entry: 40692.64, leverage: 1 });
    expect(t.take_profits).toEqual([
      { price: i.targets[0], fraction: 0.5 },
      { price: i.targets[1], fraction: 0.5 },
    ]);
    expect(rationale).toContain('capped to 100% of equity');
  });

  it("never sizes above the active risk profile's limit (portfolio.max_risk_pct)", () => {
    const { idea: i, volatility } = realIdea();
    const at = (max_risk_pct?: number) =>
      intents({
        ideas: [i],
        portfolio: { ...portfolio(250_000), max_risk_pct },
        instrument: btc,
        volatility,
        symbol: 'BTC/USDT',
      });
    const lowered = at(0.25);
    expect(lowered.list[0]!.risk_amount).toBeLessThanOrEqual(625);
    expect(lowered.list[0]!.risk_amount).toBeGreaterThan(624);
    expect(lowered.rationale).toContain("risk 1% lowered to the risk profile's limit of 0.25%");
    expect(at(3).list[0]!.risk_amount).toBeGreaterThan(2 * 625); // a limit above the own 1% changes nothing
    expect(at(undefined).list[0]!.qty).toBe(at(3).list[0]!.qty);
  });

  it('uncapped (stop widened to 3 ATR): risk amount is 1% of equity within one step of rounding', () => {
    const { idea: i, volatility } = realIdea();
    const equity = 250_000;
    const p = { ...params, min_stop_atr_mult: 3 };
    const { list, rationale } = intents(
      { ideas: [i], portfolio: portfolio(equity), instrument: btc, volatility, symbol: 'BTC/USDT' },
      p,
    );
    expect(rationale).toContain('stop widened');
    expect(rationale).not.toContain('capped');
    const t = list[0]!;
    expect(t.stop).toBeCloseTo(Math.floor((t.entry - 3 * volatility.atr) * 100) / 100, 9);
    const dist = t.entry - t.stop;
    const budget = equity * 0.01;
    expect(t.qty).toBe(Math.floor((budget / dist) * 1e5) / 1e5);
    expect(isMultiple(t.qty, 1e-5)).toBe(true);
    expect(t.risk_amount).toBeLessThanOrEqual(budget);
    expect(budget - t.risk_amount).toBeLessThan(1e-5 * dist + 1e-9);
    expect(t.notional).toBeLessThan(equity);
  });
});

describe('fixed_fractional_v1 rules', () => {
  const base: View = {
    ideas: [idea()],
    portfolio: portfolio(1000),
    instrument: { ...btc, tick_size: null, min_notional: null, min_qty: null, amount_precision: 3 },
    volatility: { atr: 1, atr_pct: 1, band: 'normal' },
    symbol: 'BTC/USDT',
  };

  it('exact maths: 1000 x 1% / (100 - 95) = 2 units, notional 200', () => {
    const t = intents(base).list[0]!;
    expect(t).toEqual({
      symbol: 'BTC/USDT',
      side: 'buy',
      qty: 2,
      entry: 100,
      stop: 95,
      take_profits: [
        { price: 110, fraction: 0.5 },
        { price: 115, fraction: 0.5 },
      ],
      leverage: 1,
      risk_pct: 1,
      risk_amount: 10,
      notional: 200,
    });
  });

  it('widens a stop closer than min_stop_atr_mult x ATR and says so', () => {
    const r = intents({ ...base, volatility: { atr: 8, atr_pct: 8, band: 'high' } });
    const t = r.list[0]!;
    expect(t.stop).toBe(92); // 100 - 1 x 8
    expect(t.qty).toBe(1.25); // 10 / 8
    expect(r.rationale).toContain('stop widened from 95.00 to 92.00 = 1 x ATR 8.00 from entry');
  });

  it('short: side sell, stop above, widened upward and rounded up to the tick', () => {
    const r = intents({
      ...base,
      ideas: [idea({ direction: 'short', entry: 100, stop: 101, targets: [96] })],
      instrument: { ...base.instrument, tick_size: 0.5 },
      volatility: { atr: 1.3, atr_pct: 1.3, band: 'high' },
    });
    const t = r.list[0]!;
    expect(t.side).toBe('sell');
    expect(t.stop).toBe(101.5); // 101.3 rounded away from entry to the 0.5 tick
    expect(t.qty).toBe(6.666); // 10 / 1.5 = 6.6667 floored to 0.001
    expect(t.take_profits).toEqual([{ price: 96, fraction: 1 }]); // 2 fractions for 1 target -> equal split
  });

  it('picks the best-scored idea', () => {
    const t = intents({
      ...base,
      ideas: [idea({ score: 0.2, entry: 50, stop: 45, targets: [60] }), idea({ score: 0.9 })],
    }).list[0]!;
    expect(t.entry).toBe(100);
  });

  it('rejects when qty rounds to 0, is below min_qty, or the notional is below min_notional', () => {
    const tiny = { ...base, portfolio: portfolio(0.01) }; // 0.0001 / 5 = 0.00002 -> 0 at 0.001 step
    expect(intents(tiny).list).toEqual([]);
    expect(intents(tiny).rationale).toContain('the quantity rounds to 0');
    const minQty = intents({ ...base, instrument: { ...base.instrument, min_qty: 5 } });
    expect(minQty.list).toEqual([]);
    expect(minQty.rationale).toContain('below min_qty 5');
    const minNotional = intents({ ...base, instrument: { ...base.instrument, min_notional: 500 } });
    expect(minNotional.list).toEqual([]);
    expect(minNotional.rationale).toContain('notional 200.00 below min_notional 500');
  });

  it('no ideas, zero equity, or a stop on the wrong side: no intent with a reason', () => {
    expect(intents({ ...base, ideas: [] }).rationale).toBe('No intent: there is no idea to size.');
    expect(intents({ ...base, portfolio: portfolio(0) }).rationale).toBe(
      'No intent: equity is 0 USDT, nothing to risk.',
    );
    expect(intents({ ...base, ideas: [idea({ stop: 105 })] }).rationale).toContain('the stop is not on the loss side');
  });

  it('a flat market (ATR 0) leaves the stop as the idea set it', () => {
    expect(intents({ ...base, volatility: { atr: 0, atr_pct: 0, band: 'low' } }).list[0]!.stop).toBe(95);
  });

  it('params: defaults, strictness, fractions must sum to 1', () => {
    expect(params).toEqual({
      risk_pct: 1,
      min_stop_atr_mult: 1,
      max_notional_pct: 100,
      default_amount_decimals: 8,
      tp_fractions: [0.5, 0.5],
    });
    expect(manifest.params.safeParse({ tp_fractions: [0.5, 0.6] }).success).toBe(false);
    expect(manifest.params.safeParse({ risk: 1 }).success).toBe(false);
  });
});

describe('fixed_fractional_v1 sizing invariants (property-based)', () => {
  it('never risks more than equity x risk_pct, respects the step, min notional and the notional cap', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...sizingCaseArbs(),
          risk_pct: fc.double({ min: 0.01, max: 10, noNaN: true }),
          max_notional_pct: fc.double({ min: 1, max: 100, noNaN: true }),
          min_notional: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
          atrFrac: fc.double({ min: 0, max: 0.5, noNaN: true }),
          min_stop_atr_mult: fc.double({ min: 0, max: 3, noNaN: true }),
          tickDecimals: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
        }),
        (a) => {
          const stop = a.long ? a.entry * (1 - a.stopFrac) : a.entry * (1 + a.stopFrac);
          const atr = a.entry * a.atrFrac;
          const tick = a.tickDecimals === null ? null : 10 ** -a.tickDecimals;
          const p = manifest.params.parse({
            risk_pct: a.risk_pct,
            max_notional_pct: a.max_notional_pct,
            min_stop_atr_mult: a.min_stop_atr_mult,
          });
          const view: View = {
            ideas: [
              idea({
                direction: a.long ? 'long' : 'short',
                entry: a.entry,
                stop,
                targets: [a.long ? a.entry * 2 : a.entry / 2],
              }),
            ],
            portfolio: portfolio(a.equity),
            instrument: {
              ...btc,
              amount_precision: a.precision,
              tick_size: tick,
              min_qty: null,
              min_notional: a.min_notional,
            },
            volatility: { atr, atr_pct: a.atrFrac * 100, band: 'normal' },
            symbol: 'BTC/USDT',
          };
          const { list, rationale } = intents(view, p);
          if (list.length === 0) {
            expect(rationale).toMatch(/^No intent: .*(rounds to 0|below min_notional|not a positive price)/);
            return;
          }
          const t = list[0]!;
          const dist = a.long ? t.entry - t.stop : t.stop - t.entry;
          expect(dist).toBeGreaterThanOrEqual(
            Math.min(Math.abs(a.entry - stop), a.min_stop_atr_mult * atr) * (1 - 1e-9),
          );
          expect(dist).toBeGreaterThanOrEqual(Math.abs(a.entry - stop) * (1 - 1e-9)); // never tightened
          expect(t.qty * Math.abs(t.entry - t.stop)).toBeLessThanOrEqual((a.equity * a.risk_pct) / 100);
          expect(t.risk_pct).toBeLessThanOrEqual(a.risk_pct * (1 + 1e-12));
          expect(t.qty * t.entry).toBeLessThanOrEqual((a.equity * a.max_notional_pct) / 100);
          if (a.precision !== null) expect(isMultiple(t.qty, 10 ** -a.precision)).toBe(true);
          if (a.min_notional !== null) expect(t.notional).toBeGreaterThanOrEqual(a.min_notional);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
