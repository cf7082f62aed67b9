import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeJit, type JitFacts, orderSpend } from '../../trading/live/jit-checks.ts';
import type { GateVerdict } from '../../trading/risk-gate/gate.ts';
import { btcFilters } from './live-fixtures.ts';

const filters = btcFilters;
const allow: GateVerdict = { ok: true, checks: [], reasons: [] };
const marginVeto: GateVerdict = {
  ok: false,
  checks: [{ rule: 'margin', ok: false, detail: 'margin 600 exceeds the free balance 500' }],
  reasons: ['margin 600 exceeds the free balance 500'],
};
const haltVeto: GateVerdict = {
  ok: false,
  checks: [{ rule: 'not_halted', ok: false, detail: 'trading is halted' }],
  reasons: ['trading is halted'],
};

const base: JitFacts = {
  order: { side: 'buy', type: 'market', qty: 0.01 },
  filters,
  decision_price: 60_000,
  fresh_price: 60_100,
  free_balance: 1_000,
  fee_rate: 0.001,
  leverage: 1,
  gate: allow,
  rate_limited_until: null,
  now: 1_000_000,
  clock_offset_ms: 120,
};

const facts = fc.record({
  order: fc.record({
    side: fc.constantFrom('buy' as const, 'sell' as const),
    type: fc.constant('market' as const),
    qty: fc.double({ min: 0.000001, max: 5, noNaN: true }),
  }),
  filters: fc.constant(filters),
  decision_price: fc.double({ min: 1000, max: 100_000, noNaN: true }),
  fresh_price: fc.double({ min: 1000, max: 100_000, noNaN: true }),
  free_balance: fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: null }),
  fee_rate: fc.constantFrom(0, 0.001, 0.002),
  leverage: fc.constantFrom(1, 1, 2),
  gate: fc.constantFrom(allow, allow, marginVeto, haltVeto, null),
  rate_limited_until: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: null }),
  now: fc.constant(1_000_000),
  clock_offset_ms: fc.option(fc.integer({ min: -60_000, max: 60_000 }), { nil: null }),
});

describe('just-in-time checks', () => {
  it('an order that passes is within the price band, fits the filters and the balance (fees included), and the gate allowed it', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const v = judgeJit(f);
        expect(v.ok).toBe(v.checks.every((c) => c.ok));
        expect(v.ok).toBe(v.failure === null);
        if (!v.ok) {
          expect(v.reason).toMatch(/^The (buy|sell) order on BTC\/USDT was not sent: .+\.$/);
          return;
        }
        expect(Math.abs(f.fresh_price - f.decision_price) / f.decision_price).toBeLessThanOrEqual(0.01);
        expect(v.order!.qty).toBeLessThanOrEqual(f.order.qty);
        if (f.free_balance !== null)
          expect(orderSpend(v.order!, f.fresh_price, f.fee_rate)).toBeLessThanOrEqual(f.free_balance);
        expect(f.gate === null || f.gate.ok).toBe(true);
        expect(f.leverage).toBe(1);
        expect(f.clock_offset_ms).not.toBeNull();
      }),
    );
  });

  it('a shortfall of balance is told apart from every other failure', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const v = judgeJit(f);
        const short = v.checks.some((c) => c.check === 'free_balance' && !c.ok) || f.gate === marginVeto;
        expect(v.failure === 'JIT_CHECK_INSUFFICIENT_FUNDS').toBe(short);
      }),
    );
  });

  it('skipping the balance query never skips the risk gate', () => {
    const v = judgeJit({ ...base, free_balance: null, gate: haltVeto });
    expect(v.checks.find((c) => c.check === 'free_balance')).toMatchObject({
      ok: true,
      detail: 'not queried (require_jit_checks is off)',
    });
    expect(v).toMatchObject({ ok: false, failure: 'JIT_CHECK_FAILURE' });
    expect(v.reason).toBe('The buy order on BTC/USDT was not sent: trading is halted.');
  });

  it('names each failed check in one sentence', () => {
    expect(judgeJit(base)).toMatchObject({ ok: true, failure: null, reason: null, order: { qty: 0.01 } });
    expect(judgeJit({ ...base, fresh_price: 61_000 }).reason).toBe(
      'The buy order on BTC/USDT was not sent: the price is 61000, 1.6667% from the decision price 60000 (at most 1%).',
    );
    expect(judgeJit({ ...base, free_balance: 600 })).toMatchObject({
      failure: 'JIT_CHECK_INSUFFICIENT_FUNDS',
      reason: 'The buy order on BTC/USDT was not sent: the order needs 601.601 with fees and 600 is free.',
    });
    expect(judgeJit({ ...base, rate_limited_until: base.now + 2500, clock_offset_ms: null }).reason).toBe(
      'The buy order on BTC/USDT was not sent: the exchange asked to wait 3 s more; the clock offset to the exchange was never measured.',
    );
  });
});
