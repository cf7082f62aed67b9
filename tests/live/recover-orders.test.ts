import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { clientOrderId } from '../../trading/live/client-order-id.ts';
import type { ExchangePort } from '../../trading/live/exchange-port.ts';
import { countAttempt, insertPendingOrder, type NewOrder, setOrderState } from '../../trading/live/orders-repo.ts';
import { recoverOrders } from '../../trading/live/recover-orders.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { simPort, startSim } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const id = (leg: string) => clientOrderId({ pipeline: 'trend', symbol: 'BTC/USDT', tick: 1, leg });
const stop: NewOrder = {
  client_order_id: id('stop'),
  exchange: 'binance',
  symbol: 'BTC/USDT',
  side: 'sell',
  type: 'stop_loss_limit',
  role: 'stop',
  qty: 0.01,
  stop_price: 59_000,
  price: 58_900,
};
const entry: NewOrder = { ...stop, client_order_id: id('entry'), side: 'buy', type: 'market', role: 'entry' };
delete entry.price;
delete entry.stop_price;

/** The documented rule of recoverOrders() for orders the exchange does not know, on both backends. */
describe.each(backends)('recovering unsettled orders at start (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let port: ExchangePort;
  beforeEach(async () => {
    db = await freshDb(kind);
    ({ sim } = await startSim({ balances: { USDT: 10_000, BTC: 0.01 } }));
    port = await simPort(sim);
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });

  /** An order as a killed process left it: recorded, maybe sent, maybe acknowledged. */
  const leave = (o: NewOrder, state: 'PENDING_SUBMIT' | 'NEW', attempts: number) =>
    tradingTx(db, scope, async (tx) => {
      await insertPendingOrder(tx, scope, o);
      for (let i = 0; i < attempts; i++) await countAttempt(tx, scope, o.client_order_id);
      if (state !== 'PENDING_SUBMIT') await setOrderState(tx, scope, o.client_order_id, state, null);
    });

  it('a stop the exchange never got is sent again under its id; an acknowledged order it no longer knows becomes RECONCILED_UNKNOWN', async () => {
    await leave(stop, 'PENDING_SUBMIT', 1);
    await leave(entry, 'NEW', 1);
    const report = await recoverOrders(db, scope, port);
    expect(report.map((r) => [r.client_order_id, r.outcome, r.state])).toEqual([
      [stop.client_order_id, 'resent', 'NEW'],
      [entry.client_order_id, 'reconciled_unknown', 'RECONCILED_UNKNOWN'],
    ]);
    expect(report[1]!.detail).toBe(
      `The exchange has no order ${entry.client_order_id} although it had acknowledged it.`,
    );
    expect(sim.orderPosts(stop.client_order_id)).toBe(1);
    expect(sim.orderPosts(entry.client_order_id)).toBe(0);
    expect(sim.openOrders().map((o) => [o.clientOrderId, o.type, o.stopPrice])).toEqual([
      [stop.client_order_id, 'STOP_LOSS_LIMIT', 59_000],
    ]);
    const audited = await db.query<{ action_type: string; entity_id: string }>(
      `select action_type, entity_id from audit_trail where entity_type = 'order' order by seq`,
    );
    expect(audited.map((a) => [a.action_type, a.entity_id])).toEqual([
      ['ORDER_SUBMITTED', stop.client_order_id],
      ['ORDER_RECOVERED', entry.client_order_id],
    ]);
    // The stop, still open, is followed at each start; the RECONCILED_UNKNOWN entry is settled.
    expect(await recoverOrders(db, scope, port)).toEqual([
      { client_order_id: stop.client_order_id, outcome: 'adopted', state: 'NEW', detail: null },
    ]);
  });

  it('an exchange that cannot be reached leaves the order as it is, for the next start', async () => {
    await leave(entry, 'PENDING_SUBMIT', 1);
    sim.faults.serverError(503, { path: '/api/v3/order' });
    const [r] = await recoverOrders(db, scope, port);
    expect(r).toMatchObject({ outcome: 'unreachable', state: 'PENDING_SUBMIT' });
    expect(sim.orderPosts(entry.client_order_id)).toBe(0);
  });
});
