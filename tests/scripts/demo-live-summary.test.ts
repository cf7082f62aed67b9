import { describe, expect, it } from 'vitest';
import { type DatabaseRecords, type ExchangeRecords, summarize, verdict } from '../../scripts/demo-live/summary.ts';

/**
 * The figures `npm run demo:live` judges itself by (the demo itself is not in the suite: it
 * spawns trader a dozen times). Each case is one way a live session goes wrong, built from
 * records as the simulator and the database hold them.
 */

const order = (o: Partial<ExchangeRecords['orders'][number]> & { clientOrderId: string }) => ({
  symbol: 'BTC/USDT',
  side: 'BUY' as const,
  type: 'MARKET',
  status: 'FILLED',
  origQty: 0.1,
  executedQty: 0.1,
  origin: 'api' as const,
  ...o,
});

/** An entry of 0.1 BTC (fee 0.0001 BTC taken from it) under an OCO: stop and target resting. */
function session(): { exchange: ExchangeRecords; database: DatabaseRecords } {
  return {
    exchange: {
      orders: [
        order({ clientOrderId: 'tr-entry-1' }),
        order({
          clientOrderId: 'tr-sl1-1',
          side: 'SELL',
          type: 'STOP_LOSS_LIMIT',
          status: 'NEW',
          origQty: 0.0999,
          executedQty: 0,
        }),
        order({
          clientOrderId: 'tr-tp1-1',
          side: 'SELL',
          type: 'LIMIT_MAKER',
          status: 'NEW',
          origQty: 0.0999,
          executedQty: 0,
        }),
      ],
      trades: [{ symbol: 'BTC/USDT', commission: 0.0001, commissionAsset: 'BTC' }],
      balances: { USDT: { free: 3150.5, locked: 0 }, BTC: { free: 0, locked: 0.0999 } },
      posts: { 'tr-entry-1': 1, 'tr-sl1-1': 1, 'tr-tp1-1': 1 },
      step_sizes: { 'BTC/USDT': 0.00001 },
    },
    database: {
      orders: [
        { client_order_id: 'tr-entry-1', symbol: 'BTC/USDT', role: 'entry', state: 'FILLED' },
        { client_order_id: 'tr-sl1-1', symbol: 'BTC/USDT', role: 'stop', state: 'NEW' },
        { client_order_id: 'tr-tp1-1', symbol: 'BTC/USDT', role: 'take_profit', state: 'NEW' },
      ],
      fills: 1,
      open_positions: [{ position_id: 1, symbol: 'BTC/USDT', open_qty: 0.0999 }],
      wallets: { USDT: 3150.5, BTC: 0.0999 },
      differences: [{ kind: 'fill_adopted', explained: true }],
    },
  };
}

describe('the demo:live summary', () => {
  it('a clean session: nothing duplicated, the entry under its stop, balances equal (locked included)', () => {
    const { exchange, database } = session();
    const s = summarize(exchange, database);
    expect(s).toMatchObject({
      orders: { on_exchange: 3, by_trader: 3, by_hand_on_website: 0, in_database: 3 },
      fills: { on_exchange: 1, booked_in_database: 1, fees: { BTC: 0.0001 } },
      protective_orders: { placed: 2, open_on_exchange: 2 },
      duplicates: 0,
      unprotected_entries: 0,
      reconciliation: { explained: 1, unexplained: 0 },
      balances_match: true,
    });
    expect(verdict(s)).toEqual({ ok: true });
  });

  it('counts a client id posted twice, one carried by two exchange orders, and an order of trader the database never recorded', () => {
    const { exchange, database } = session();
    exchange.posts['tr-entry-1'] = 2;
    exchange.orders.push(order({ clientOrderId: 'tr-tp1-1', side: 'SELL', type: 'LIMIT_MAKER', status: 'CANCELED' }));
    exchange.orders.push(order({ clientOrderId: 'tr-entry-2' }));
    // Orders placed by hand on the website are the user's, not duplicates.
    exchange.orders.push(order({ clientOrderId: 'web_1', origin: 'website', side: 'SELL' }));
    const s = summarize(exchange, database);
    expect(s.duplicates).toBe(3);
    expect(s.duplicate_client_order_ids).toEqual(['tr-entry-1', 'tr-entry-2', 'tr-tp1-1']);
    expect(verdict(s)).toEqual({
      ok: false,
      sentence: 'demo:live failed: 3 duplicate order(s) on the exchange (tr-entry-1, tr-entry-2, tr-tp1-1).',
    });
  });

  it('an open position is unprotected when its stop is gone or covers less than it holds; a remainder under one step is dust', () => {
    const { exchange, database } = session();
    const stop = exchange.orders[1]!;
    stop.origQty = 0.09985; // 0.00005 BTC more than one step uncovered
    expect(summarize(exchange, database).unprotected_entries).toBe(1);
    stop.origQty = 0.099895; // less than a step uncovered: dust the exchange would refuse
    expect(summarize(exchange, database).unprotected_entries).toBe(0);
    stop.status = 'CANCELED';
    const s = summarize(exchange, database);
    expect(s.unprotected_position_ids).toEqual([1]);
    // A target alone is no protection.
    expect(s.protective_orders.open_on_exchange).toBe(1);
    // A closed position needs nothing.
    expect(summarize(exchange, { ...database, open_positions: [] }).unprotected_entries).toBe(0);
  });

  it('balances must agree to 8 decimals for every asset on either side; unexplained differences fail too', () => {
    const { exchange, database } = session();
    database.wallets.USDT = 3150.50001;
    database.differences.push({ kind: 'balance_mismatch', explained: false });
    exchange.balances.ETH = { free: 0.5, locked: 0 };
    const s = summarize(exchange, database);
    expect(s.balances_match).toBe(false);
    expect(s.balances.filter((b) => !b.match).map((b) => b.asset)).toEqual(['ETH', 'USDT']);
    expect(s.reconciliation).toEqual({
      explained: 1,
      unexplained: 1,
      by_kind: { fill_adopted: 1, 'balance_mismatch (unexplained)': 1 },
    });
    expect(verdict(s)).toEqual({
      ok: false,
      sentence:
        'demo:live failed: 1 unexplained reconciliation difference(s); exchange and database balances differ (ETH 0.5 vs 0, USDT 3150.5 vs 3150.50001).',
    });
  });
});
