import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExchangeTrade } from '../../../trading/live/exchange-port.ts';
import { compareBooks, fillEffects, sameAmount } from '../../../trading/live/reconcile/compare.ts';
import type { ExchangeBook, LocalBook, MarketView } from '../../../trading/live/reconcile/reconcile-types.ts';

/**
 * The pure compare step. Its promise: when the exchange's balances are the database's plus
 * what the trades the database lacks did (fees in any asset included), the plan adopts
 * exactly those trades, its expected wallets equal the exchange's balances and nothing is
 * unexplained; a balance moved by anything else (a deposit, a withdrawal) is unexplained,
 * naming that asset and only it.
 */

const markets: Record<string, MarketView> = {
  'BTC/USDT': { base: 'BTC', quote: 'USDT', min_qty: 0.00001, min_notional: 5, price: 60_000 },
  'ETH/USDT': { base: 'ETH', quote: 'USDT', min_qty: 0.0001, min_notional: 5, price: 3_000 },
};

/** Amounts on the exchange's 8-decimal grid. */
const amount = (min: number, max: number) =>
  fc.integer({ min: Math.round(min * 1e8), max: Math.round(max * 1e8) }).map((n) => n / 1e8);

const tradeArb = (i: number): fc.Arbitrary<ExchangeTrade> =>
  fc
    .record({
      symbol: fc.constantFrom('BTC/USDT', 'ETH/USDT'),
      side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'>,
      qty: amount(0.0001, 2),
      price: amount(100, 70_000),
      feeIn: fc.constantFrom('base', 'quote', 'BNB'),
      feeRate: fc.constantFrom(0, 0.00075, 0.001),
      order: fc.integer({ min: 1, max: 5 }),
    })
    .map((t) => {
      const m = markets[t.symbol]!;
      const asset = t.feeIn === 'base' ? m.base : t.feeIn === 'quote' ? m.quote : 'BNB';
      const fee = t.feeIn === 'base' ? t.qty * t.feeRate : t.feeIn === 'quote' ? t.qty * t.price * t.feeRate : 0.0001;
      return {
        trade_id: `t${i}`,
        symbol: t.symbol,
        side: t.side,
        qty: t.qty,
        price: t.price,
        fee,
        fee_asset: asset,
        exchange_order_id: `o${t.order}`,
        ts: new Date(Date.UTC(2026, 0, 1) + i * 1000),
      };
    });

const tradesArb = fc
  .integer({ min: 0, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => tradeArb(i))));

const walletsArb = fc.record({
  USDT: amount(0, 1_000_000),
  BTC: amount(0, 10),
  ETH: amount(0, 100),
  BNB: amount(0, 5),
});

function localBook(wallets: Record<string, number>, booked: string[] = []): LocalBook {
  return {
    quote: 'USDT',
    wallets,
    positions: [{ position_id: 1, symbol: 'BTC/USDT', side: 'long', open_qty: 0.5 }],
    orders: [
      { client_order_id: 'tr-stop-1', exchange_order_id: 'o1', symbol: 'BTC/USDT', role: 'stop', position_id: 1 },
    ],
    booked_trade_ids: booked,
  };
}

/** The exchange after `trades`: the database's wallets moved by each trade's effects. */
function exchangeAfter(wallets: Record<string, number>, trades: ExchangeTrade[]): ExchangeBook {
  const balances = { ...wallets };
  for (const t of trades)
    for (const [asset, d] of Object.entries(fillEffects(t, markets[t.symbol]!)))
      balances[asset] = (balances[asset] ?? 0) + d;
  return { balances, trades, open_orders: [], markets, unchecked_assets: [] };
}

describe('compareBooks', () => {
  it('adopts exactly the trades the database lacks; booking them makes the wallets equal the exchange, nothing unexplained', () => {
    fc.assert(
      fc.property(walletsArb, tradesArb, fc.integer({ min: 0, max: 12 }), (wallets, trades, bookedCount) => {
        // The first trades were booked already: the database's wallets include them.
        const booked = trades.slice(0, bookedCount);
        const local = localBook(
          exchangeAfter(wallets, booked).balances,
          booked.map((t) => t.trade_id),
        );
        const plan = compareBooks(local, exchangeAfter(wallets, trades));
        expect(plan.adoptions.map((a) => a.trade.trade_id)).toEqual(trades.slice(bookedCount).map((t) => t.trade_id));
        expect(plan.differences.filter((d) => !d.explained)).toEqual([]);
        const exchange = exchangeAfter(wallets, trades).balances;
        for (const asset of new Set([...Object.keys(exchange), ...Object.keys(plan.expected_wallets)]))
          expect(sameAmount(plan.expected_wallets[asset] ?? 0, exchange[asset] ?? 0)).toBe(true);
      }),
    );
  });

  it('a balance moved by something else than a trade is unexplained, for that asset only', () => {
    fc.assert(
      fc.property(
        walletsArb,
        tradesArb,
        fc.constantFrom('USDT', 'BTC', 'ETH', 'BNB'),
        amount(0.0001, 1000),
        fc.boolean(),
        (wallets, trades, asset, size, deposit) => {
          const exchange = exchangeAfter(wallets, trades);
          const delta = deposit ? size : -Math.min(size, exchange.balances[asset]!);
          fc.pre(Math.abs(delta) > 0.0001);
          exchange.balances[asset] = exchange.balances[asset]! + delta;
          const plan = compareBooks(localBook(wallets), exchange);
          const unexplained = plan.differences.filter((d) => !d.explained);
          expect(unexplained.map((d) => [d.kind, d.asset])).toEqual([['balance_mismatch', asset]]);
          // Not compared this cycle (a market trading it could not be read): no verdict at all.
          expect(
            compareBooks(localBook(wallets), { ...exchange, unchecked_assets: [asset] }).differences.filter(
              (d) => !d.explained,
            ),
          ).toEqual([]);
        },
      ),
    );
  });

  it("a trade of trader's order is a fill of that order; a sale by hand closes the open long; other trades by hand move balances only", () => {
    const t = (id: string, o: Partial<ExchangeTrade>): ExchangeTrade => ({
      trade_id: id,
      symbol: 'BTC/USDT',
      side: 'sell',
      qty: 0.1,
      price: 60_000,
      fee: 6,
      fee_asset: 'USDT',
      exchange_order_id: 'o1',
      ts: new Date(Date.UTC(2026, 0, 1)),
      ...o,
    });
    const trades = [
      t('a', {}),
      t('b', { exchange_order_id: 'web-7' }),
      t('c', { exchange_order_id: 'web-8', side: 'buy' }),
    ];
    const plan = compareBooks(localBook({ USDT: 1000, BTC: 1 }), exchangeAfter({ USDT: 1000, BTC: 1 }, trades));
    expect(plan.adoptions.map((a) => [a.trade.trade_id, a.client_order_id, a.position_id, a.kind])).toEqual([
      ['a', 'tr-stop-1', 1, 'stop_loss'],
      ['b', null, 1, 'close'],
      ['c', null, null, null],
    ]);
    expect(plan.differences.map((d) => [d.kind, d.explained])).toEqual([
      ['fill_adopted', true],
      ['manual_fill', true],
      ['manual_fill', true],
    ]);
  });

  it('an open order trader did not place is reported, explained, and left alone', () => {
    const exchange = {
      ...exchangeAfter({ USDT: 10 }, []),
      open_orders: [{ client_order_id: 'web_1', exchange_order_id: 'x9', symbol: 'BTC/USDT' }],
    };
    const plan = compareBooks(localBook({ USDT: 10 }), exchange);
    expect(plan.differences).toMatchObject([{ kind: 'foreign_open_order', explained: true, symbol: 'BTC/USDT' }]);
    expect(plan.adoptions).toEqual([]);
  });
});
