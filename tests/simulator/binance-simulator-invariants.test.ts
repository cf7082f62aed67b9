/**
 * Invariants of the simulator's account under any sequence of orders, cancels and price
 * moves (in process, no HTTP): balances change exactly by the trades and their fees, what
 * is locked is what open orders hold, nothing goes negative, a refused order changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Balances } from '../../simulator/binance/balances.ts';
import { MatchingEngine } from '../../simulator/binance/engine.ts';
import { BinanceReject } from '../../simulator/binance/filters.ts';
import { isOpen } from '../../simulator/binance/orders.ts';
import { SpotAccount, type NewOrderRequest } from '../../simulator/binance/placement.ts';
import { simBtcMarket } from './fixtures.ts';

const S = 'BTC/USDT';
const START = { USDT: 5_000, BTC: 0.1, BNB: 0.05 };

const price = fc.integer({ min: 4_000_000, max: 6_000_000 }).map((c) => c / 100);
const qty = fc.integer({ min: 1, max: 5_000 }).map((u) => u / 100_000);
const action = fc.oneof(
  fc.record({ kind: fc.constant('price' as const), price }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('order' as const),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constantFrom('MARKET' as const, 'LIMIT' as const, 'STOP_LOSS_LIMIT' as const, 'LIMIT_MAKER' as const),
    quantity: qty,
    price,
    offset: fc.integer({ min: 1, max: 200_000 }).map((c) => c / 100),
    timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const),
  }),
);

describe('Binance simulator account invariants', () => {
  it('conserves every asset through trades and fees, and locks exactly what open orders hold', () => {
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 40 }),
        fc.constantFrom('received' as const, 'quote' as const, 'BNB' as const),
        fc.option(qty, { nil: undefined }),
        (actions, feeAsset, liquidity) => {
          const balances = new Balances(START);
          const markets = new Map([[S, { ...simBtcMarket(), price: 50_000, liquidity: liquidity ?? Infinity }]]);
          const engine = new MatchingEngine(markets, balances, () => 0, {
            makerRate: 0.001,
            takerRate: 0.001,
            asset: feeAsset,
            bnbPrice: 600,
          });
          const account = new SpotAccount(engine);
          for (const a of actions) {
            if (a.kind === 'price') engine.setPrice(S, a.price);
            else if (a.kind === 'cancel') {
              const open = engine.orders.filter(isOpen);
              const o = open[a.pick % Math.max(1, open.length)];
              if (o !== undefined) account.cancel(S, { orderId: o.orderId });
            } else {
              const stop = a.side === 'SELL' ? engine.price(S) - a.offset : engine.price(S) + a.offset;
              const req: NewOrderRequest = {
                symbol: S,
                side: a.side,
                type: a.type,
                quantity: a.quantity,
                timeInForce: a.timeInForce,
              };
              if (a.type !== 'MARKET') req.price = a.price;
              if (a.type === 'STOP_LOSS_LIMIT') req.stopPrice = Math.round(stop * 100) / 100;
              const before = balances.snapshot();
              try {
                account.place(req, 'website');
              } catch (e) {
                if (!(e instanceof BinanceReject)) throw e;
                expect(balances.snapshot()).toEqual(before);
              }
            }
          }
          const expected: Record<string, number> = { ...START };
          const add = (asset: string, x: number) => (expected[asset] = (expected[asset] ?? 0) + x);
          for (const t of engine.trades) {
            add('BTC', t.side === 'BUY' ? t.qty : -t.qty);
            add('USDT', t.side === 'BUY' ? -t.quoteQty : t.quoteQty);
            add(t.commissionAsset, -t.commission);
          }
          const locks = new Set(engine.orders.filter(isOpen).map((o) => o.lock));
          // Balances are kept to 8 decimals as Binance does, rounded at every debit, credit and
          // release, so they may drift from the exact sum by up to one unit in the 8th decimal
          // per operation (hundreds of partial fills with a tiny liquidity), never more.
          const slack = 1e-8 * (4 * engine.trades.length + 2 * actions.length + 1);
          for (const [asset, b] of Object.entries(balances.snapshot())) {
            expect(b.free).toBeGreaterThanOrEqual(0);
            expect(Math.abs(b.free + b.locked - (expected[asset] ?? 0))).toBeLessThanOrEqual(slack);
            const held = [...locks].filter((l) => l?.asset === asset).reduce((s, l) => s + (l?.amount ?? 0), 0);
            expect(Math.abs(b.locked - held)).toBeLessThanOrEqual(slack);
          }
          for (const o of engine.orders) {
            expect(o.executedQty).toBeLessThanOrEqual(o.origQty);
            expect(o.status === 'FILLED').toBe(o.executedQty === o.origQty);
          }
        },
      ),
      {
        numRuns: 300,
        examples: [
          [
            [
              { kind: 'price', price: 41077.35 },
              {
                kind: 'order',
                side: 'BUY',
                type: 'MARKET',
                quantity: 0.00774,
                price: 40000,
                offset: 0.01,
                timeInForce: 'GTC',
              },
            ],
            'quote',
            0.00001,
          ],
        ],
      },
    );
  });
});
