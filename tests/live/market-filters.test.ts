import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundToStep } from '../../trading/live/decimal-steps.ts';
import { fitOrder } from '../../trading/live/market-filters.ts';
import { btcFilters } from './live-fixtures.ts';

const btc = btcFilters;

/** Is x a whole multiple of step, judged exactly on the printed decimals? */
const onStep = (x: number, step: number) => roundToStep(x, step, 'down') === x;

const steps = fc.constantFrom(1, 0.1, 0.01, 0.001, 0.0001, 0.00001, 0.000001, 0.00000001, 5, 0.5, 0.25);
const filters = fc.record({
  symbol: fc.constant('X/USDT'),
  step_size: steps,
  tick_size: steps,
  min_qty: fc.constantFrom(0, 0.00001, 0.001, 1),
  max_qty: fc.option(fc.constantFrom(10, 1000, 9_000_000), { nil: null }),
  min_notional: fc.constantFrom(0, 1, 5, 10),
});
const money = fc.double({ min: 0.01, max: 1_000_000, noNaN: true });

describe('market filters', () => {
  it('rounds exactly where floating point division would not', () => {
    expect(roundToStep(0.3, 0.1, 'down')).toBe(0.3);
    expect(roundToStep(0.29999, 0.1, 'down')).toBe(0.2);
    expect(roundToStep(1.005, 0.01, 'up')).toBe(1.01);
    expect(roundToStep(7, 5, 'up')).toBe(10);
    expect(roundToStep(1e-7, 1e-8, 'down')).toBe(1e-7);
  });

  it('a buy sized for a balance never costs more than that balance after rounding, and passes the filters or is refused', () => {
    fc.assert(
      fc.property(filters, money, money, fc.boolean(), (f, balance, price, limit) => {
        const qty = balance / price;
        const fit = fitOrder(f, {
          side: 'buy',
          type: limit ? 'limit' : 'market',
          qty,
          ...(limit ? { price } : {}),
          reference_price: price,
        });
        if (!fit.ok) {
          expect(fit.reason).toMatch(/^[A-Z0-9].*\.$/);
          return;
        }
        const o = fit.order;
        expect(o.qty).toBeLessThanOrEqual(qty);
        expect(o.qty * (o.price ?? price)).toBeLessThanOrEqual(balance * (1 + 1e-12));
        expect(onStep(o.qty, f.step_size)).toBe(true);
        if (o.price !== undefined) expect(onStep(o.price, f.tick_size)).toBe(true);
        expect(o.qty).toBeGreaterThanOrEqual(f.min_qty);
        if (f.max_qty !== null) expect(o.qty).toBeLessThanOrEqual(f.max_qty);
        expect(o.qty * (o.price ?? price)).toBeGreaterThanOrEqual(f.min_notional);
      }),
    );
  });

  it('a sell never sells more than is held, and a stop fires no later than planned', () => {
    fc.assert(
      fc.property(filters, money, money, fc.double({ min: 0.5, max: 0.99, noNaN: true }), (f, held, price, below) => {
        const stop = price * below;
        const fit = fitOrder(f, {
          side: 'sell',
          type: 'stop_loss_limit',
          qty: held,
          stop_price: stop,
          price: stop * 0.99,
          reference_price: price,
        });
        if (!fit.ok) return;
        expect(fit.order.qty).toBeLessThanOrEqual(held);
        expect(fit.order.stop_price!).toBeGreaterThanOrEqual(stop);
        expect(fit.order.stop_price! - stop).toBeLessThan(f.tick_size + 1e-9);
        expect(fit.order.price!).toBeLessThanOrEqual(stop * 0.99);
        expect(onStep(fit.order.stop_price!, f.tick_size)).toBe(true);
      }),
    );
  });

  it('refuses, in one sentence, what rounding down cannot save, and never rounds up to a minimum', () => {
    expect(fitOrder(btc, { side: 'buy', type: 'market', qty: 0.000009, reference_price: 60_000 })).toEqual({
      ok: false,
      reason: '0.000009 BTC/USDT rounds down to 0, below the minimum quantity 0.00001.',
    });
    expect(fitOrder(btc, { side: 'buy', type: 'market', qty: 0.00008, reference_price: 60_000 })).toEqual({
      ok: false,
      reason: '0.00008 BTC/USDT at 60000 is worth 4.8, below the minimum order value 5.',
    });
    expect(fitOrder(btc, { side: 'buy', type: 'market', qty: 9001, reference_price: 1 })).toMatchObject({
      ok: false,
      reason: '9001 BTC/USDT is above the maximum quantity 9000 of one order.',
    });
    expect(fitOrder(btc, { side: 'buy', type: 'limit', qty: 0.001239, price: 60_000.019, reference_price: 1 })).toEqual(
      { ok: true, order: { side: 'buy', type: 'limit', qty: 0.00123, price: 60_000.01 } },
    );
  });
});
