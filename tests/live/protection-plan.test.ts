import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitOrder } from '../../trading/live/market-filters.ts';
import { protectionLegs } from '../../trading/live/protection-plan.ts';
import { btcFilters } from './live-fixtures.ts';

const rung = (price: number, fraction: number, filled_at: string | null = null) => ({ price, fraction, filled_at });

describe('the protection plan of a filled long', () => {
  it('one OCO per open rung, the last taking what the others leave; a stop alone for what no rung covers', () => {
    const { legs, dust } = protectionLegs({
      open_qty: 0.00999,
      qty: 0.00999,
      stop_price: 59_000,
      take_profits: [rung(61_000, 0.3), rung(63_000, 0.3)],
      filters: btcFilters,
      oco: true,
    });
    const limit = 58_705; // STOP_LIMIT_OFFSET_PCT below the trigger, on the tick
    expect(legs).toEqual([
      { qty: 0.00299, stop_price: 59_000, stop_limit: limit, take_profit: 61_000 },
      { qty: 0.00299, stop_price: 59_000, stop_limit: limit, take_profit: 63_000 },
      { qty: 0.00401, stop_price: 59_000, stop_limit: limit, take_profit: null },
    ]);
    expect(dust).toBeCloseTo(0, 12);
  });

  it('without OCO, or with every rung filled, a stop alone protects it all', () => {
    for (const input of [
      { take_profits: [rung(61_000, 1)], oco: false },
      { take_profits: [rung(61_000, 1, '2026-12-03T15:00:00.000Z')], oco: true },
    ])
      expect(
        protectionLegs({ open_qty: 0.005, qty: 0.01, stop_price: 59_000, filters: btcFilters, ...input }).legs,
      ).toMatchObject([{ qty: 0.005, take_profit: null }]);
  });

  it('property: the legs never cover more than is owned, each passes the filters, and only dust is left out', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200_000 }).map((x) => x / 100_000),
        fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 4 }),
        fc.boolean(),
        (open_qty, weights, oco) => {
          const total = weights.reduce((s, w) => s + w, 0);
          const take_profits = weights.map((w, i) => rung(61_000 + i * 1000, w / total));
          const { legs, dust } = protectionLegs({
            open_qty,
            qty: open_qty,
            stop_price: 59_000,
            take_profits,
            filters: btcFilters,
            oco,
          });
          const covered = legs.reduce((s, l) => s + l.qty, 0);
          expect(covered).toBeLessThanOrEqual(open_qty + 1e-12);
          for (const l of legs)
            expect(
              fitOrder(btcFilters, {
                side: 'sell',
                type: 'stop_loss_limit',
                qty: l.qty,
                price: l.stop_limit,
                stop_price: l.stop_price,
                reference_price: l.stop_limit,
              }),
            ).toMatchObject({ ok: true, order: { qty: l.qty } });
          // What is left out is below one order's minimum value at the stop's limit (58 705).
          expect(dust * 58_705).toBeLessThan(btcFilters.min_notional);
        },
      ),
    );
  });
});
