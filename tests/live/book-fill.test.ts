import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../store/db.ts';
import { bookFill, bookOrderFills } from '../../trading/live/book-fill.ts';
import { clientOrderId } from '../../trading/live/client-order-id.ts';
import { findOrder, insertPendingOrder, type OrderFill, recordExchangeAnswer } from '../../trading/live/orders-repo.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

// The TEST twin of the LIVE tables: the booking is scope-generic, and TEST needs no account.
const scope = tradingScope('TEST');
const plan = {
  intent: {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    category: 'major',
    side: 'buy' as const,
    qty: 1,
    entry: 100,
    stop: 90,
    take_profits: [{ price: 120, fraction: 1 }],
    leverage: 1,
    risk_amount: 10,
    risk_pct: 0.1,
    notional: 100,
  },
  strategy_id: null,
  source_module: null,
  proposal_id: null,
  as_of: '2026-12-03T15:00:00.000Z',
};

type Fill = Pick<OrderFill, 'qty' | 'price' | 'fee' | 'fee_asset'>;

/**
 * Booking exchange fills into positions, trades and wallets (trading/live/book-fill.ts), on
 * both backends: whatever the fills and their fee assets, the wallets move exactly as the
 * exchange's balances did, the position owns what the account owns, and a fill booked twice
 * counts once.
 */
describe.each(backends)('booking exchange fills (%s)', (kind) => {
  let db: TestDb;
  let n = 0;
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(async () => db.dispose());
  const tx = <T>(fn: (t: Queryable) => Promise<T>) => tradingTx(db, scope, fn);
  const wallet = async (asset: string) =>
    Number(
      (await db.query<{ balance: string }>('select balance from trading_test.wallets where asset = $1', [asset]))[0]
        ?.balance ?? 0,
    );

  /** Records an order of `role` with these fills as the exchange answered them. */
  async function orderWithFills(role: 'entry' | 'close', fills: Fill[], position_id: number | null = null) {
    const id = clientOrderId({ pipeline: 'book', symbol: 'BTC/USDT', tick: ++n, leg: role });
    const qty = fills.reduce((s, f) => s + f.qty, 0);
    return tx(async (t) => {
      const { order } = await insertPendingOrder(t, scope, {
        client_order_id: id,
        exchange: 'binance',
        symbol: 'BTC/USDT',
        side: role === 'entry' ? 'buy' : 'sell',
        type: 'market',
        role,
        qty,
        position_id,
        plan: role === 'entry' ? plan : null,
      });
      return recordExchangeAnswer(
        t,
        scope,
        order,
        {
          client_order_id: id,
          exchange_order_id: `x${n}`,
          state: 'FILLED',
          qty,
          filled_qty: qty,
          avg_price: fills[0]!.price,
        },
        fills.map((f, i) => ({ ...f, trade_id: `${id}-${i}`, ts: new Date(Date.UTC(2026, 11, 3, 15, 0, i)) })),
      );
    });
  }

  it('partial entry fills accumulate at their average price; a base fee lowers the quantity owned; booking twice changes nothing', async () => {
    const usdt = await wallet('USDT');
    const order = await orderWithFills('entry', [
      { qty: 0.6, price: 100, fee: 0.0006, fee_asset: 'BTC' },
      { qty: 0.4, price: 105, fee: 0.042, fee_asset: 'USDT' },
    ]);
    const booked = await tx((t) => bookOrderFills(t, scope, order.client_order_id));
    expect(booked).toHaveLength(2);
    expect(await tx((t) => bookOrderFills(t, scope, order.client_order_id))).toEqual([]);
    const pos = booked[1]!.position;
    expect(pos.qty).toBeCloseTo(0.9994, 12);
    expect(pos.open_qty).toBeCloseTo(0.9994, 12);
    expect(pos.entry_price).toBeCloseTo((0.6 * 100 + 0.4 * 105) / 1, 12);
    expect(await wallet('BTC')).toBeCloseTo(0.9994, 12);
    expect(await wallet('USDT')).toBeCloseTo(usdt - 60 - 42 - 0.042, 10);
    expect((await tx((t) => findOrder(t, scope, order.client_order_id)))!.position_id).toBe(pos.position_id);

    // The exit sells all that is owned: realized P&L before fees, the position closed.
    const exit = await orderWithFills(
      'close',
      [{ qty: 0.9994, price: 110, fee: 0.1099, fee_asset: 'USDT' }],
      pos.position_id,
    );
    const [closed] = await tx((t) => bookOrderFills(t, scope, exit.client_order_id));
    expect(closed).toMatchObject({ closed: true, position: { status: 'closed', open_qty: 0, close_reason: 'close' } });
    expect(closed!.trade.realized_pnl).toBeCloseTo((110 - pos.entry_price) * 0.9994, 10);
    expect(await wallet('BTC')).toBeCloseTo(0, 12);
  });

  it('an exit that leaves less than the smallest tradable quantity closes the position; the dust stays in the wallet', async () => {
    const entry = await orderWithFills('entry', [{ qty: 1, price: 100, fee: 0.1, fee_asset: 'USDT' }]);
    const [opened] = await tx((t) => bookOrderFills(t, scope, entry.client_order_id));
    const btc = await wallet('BTC');
    const exit = await orderWithFills(
      'close',
      [{ qty: 0.99, price: 100, fee: 0.099, fee_asset: 'USDT' }],
      opened!.position.position_id,
    );
    const [closed] = await tx((t) => bookOrderFills(t, scope, exit.client_order_id, { dust_qty: 0.015 }));
    expect(closed).toMatchObject({ closed: true, position: { status: 'closed' } });
    expect(await wallet('BTC')).toBeCloseTo(btc - 0.99, 12);
  });

  it('a fee in a third asset leaves its own wallet; more than the database holds is refused, nothing written', async () => {
    await db.query("insert into trading_test.wallets (asset, balance) values ('BNB', 0.001)");
    const order = await orderWithFills('entry', [{ qty: 0.01, price: 100, fee: 0.002, fee_asset: 'BNB' }]);
    const fill = (
      await db.query<OrderFill>('select * from trading_test.order_fills where client_order_id = $1', [
        order.client_order_id,
      ])
    )[0]!;
    const trades = async () => (await db.query('select 1 from trading_test.trades')).length;
    const before = await trades();
    await expect(
      tx((t) =>
        bookFill(t, scope, order, { ...fill, qty: Number(fill.qty), price: Number(fill.price), fee: Number(fill.fee) }),
      ),
    ).rejects.toMatchObject({ code: 'HALTED' });
    expect(await trades()).toBe(before);
    expect(await wallet('BNB')).toBe(0.001);
  });

  it('property: for any entry fills, the base wallet and the position gain exactly the coins received', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            qty: fc.integer({ min: 1, max: 1000 }).map((x) => x / 1000),
            price: fc.integer({ min: 50, max: 150 }),
            base_fee: fc.boolean(),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (fills) => {
          const btc = await wallet('BTC');
          const usdt = await wallet('USDT');
          const order = await orderWithFills(
            'entry',
            fills.map((f) => ({
              qty: f.qty,
              price: f.price,
              fee: f.base_fee ? f.qty / 1000 : (f.qty * f.price) / 1000,
              fee_asset: f.base_fee ? 'BTC' : 'USDT',
            })),
          );
          const booked = await tx((t) => bookOrderFills(t, scope, order.client_order_id));
          const received = fills.reduce((s, f) => s + f.qty - (f.base_fee ? f.qty / 1000 : 0), 0);
          const paid = fills.reduce((s, f) => s + f.qty * f.price + (f.base_fee ? 0 : (f.qty * f.price) / 1000), 0);
          const pos = booked.at(-1)!.position;
          expect(pos.qty).toBeCloseTo(received, 9);
          expect(await wallet('BTC')).toBeCloseTo(btc + received, 9);
          expect(await wallet('USDT')).toBeCloseTo(usdt - paid, 6);
          // Sell it all so the next case opens a position of its own.
          const exit = await orderWithFills(
            'close',
            [{ qty: pos.open_qty, price: 100, fee: 0, fee_asset: 'USDT' }],
            pos.position_id,
          );
          await tx((t) => bookOrderFills(t, scope, exit.client_order_id));
        },
      ),
      { numRuns: 12 },
    );
  });
});
