import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientOrderId, clientOrderIdPattern, type ClientOrderIdInput } from '../../trading/live/client-order-id.ts';

const input = fc.record({
  pipeline: fc.string({ minLength: 1, maxLength: 80 }),
  symbol: fc.string({ minLength: 1, maxLength: 30 }),
  tick: fc.integer({ min: 0, max: 2 ** 45 }),
  leg: fc.stringMatching(/^[a-z0-9]{1,8}$/),
});

describe('client order id', () => {
  it('is always valid for Binance and the same for the same decision', () => {
    fc.assert(
      fc.property(input, (i) => {
        const id = clientOrderId(i);
        expect(id).toMatch(clientOrderIdPattern);
        expect(clientOrderId({ ...i })).toBe(id);
      }),
    );
  });

  it('differs when the pipeline, symbol, tick or leg differs', () => {
    fc.assert(
      fc.property(input, input, (a: ClientOrderIdInput, b: ClientOrderIdInput) => {
        const same = a.pipeline === b.pipeline && a.symbol === b.symbol && a.tick === b.tick && a.leg === b.leg;
        expect(clientOrderId(a) === clientOrderId(b)).toBe(same);
      }),
    );
    // Each field alone, including values a naive join would confuse.
    const base = { pipeline: 'p|1', symbol: 'BTC/USDT', tick: 1_700_000_000_000, leg: 'entry' };
    const ids = new Set(
      [
        base,
        { ...base, pipeline: 'p', symbol: '1|BTC/USDT' },
        { ...base, symbol: 'ETH/USDT' },
        { ...base, tick: base.tick + 1 },
        { ...base, leg: 'stop' },
        { ...base, leg: 'tp1' },
      ].map(clientOrderId),
    );
    expect(ids.size).toBe(6);
  });

  it('refuses a leg that would not fit the id', () => {
    expect(() => clientOrderId({ pipeline: 'p', symbol: 'BTC/USDT', tick: 0, leg: 'takeprofit1' })).toThrow(
      /a leg is 1 to 8 lower-case letters or digits/,
    );
  });
});
