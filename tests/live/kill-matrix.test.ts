import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { openDb } from '../../store/open.ts';
import { clientOrderId } from '../../trading/live/client-order-id.ts';
import { fillsOf, findOrder, type NewOrder } from '../../trading/live/orders-repo.ts';
import { recoverOrders } from '../../trading/live/recover-orders.ts';
import { submitOrder } from '../../trading/live/submit-order.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { cliBackends, type Target } from '../helpers/cli.ts';
import { killChildAt, killSuite } from './kill-child.ts';
import { simPort } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const child = path.join(packageRoot, 'tests/fixtures/scripts/submit-order-child.ts');
const tick = Date.UTC(2026, 11, 3, 15);
const order = (type: 'market' | 'limit'): Omit<NewOrder, 'exchange'> => ({
  client_order_id: clientOrderId({ pipeline: 'trend', symbol: 'BTC/USDT', tick, leg: 'entry' }),
  symbol: 'BTC/USDT',
  side: 'buy',
  type,
  role: 'entry',
  qty: 0.01,
  ...(type === 'limit' ? { price: 59_500 } : {}),
});

/** Runs the child until it reports `stopAt`, then SIGKILLs it. */
const killAt = (s: { t: Target; sim: BinanceSimulator }, o: object, stopAt: string) =>
  killChildAt(child, [s.sim.url, JSON.stringify(o)], s.t.env, stopAt);

/**
 * kill -9 at every step of an order's life cycle, then a restart: recovery, and the same
 * decision submitted again as a restarted pipeline would. On PGlite and Postgres: never two
 * orders on the exchange for one decision, and every fill the exchange made is recorded.
 */
describe.each(cliBackends)('kill -9 during a live order, then restart (%s)', (kind) => {
  const s = killSuite(kind);

  async function restart(o: Omit<NewOrder, 'exchange'>) {
    const db = (s.db = await openDb({ env: s.t.env }));
    const sim = s.sim;
    const port = await simPort(sim);
    const recovered = await recoverOrders(db, scope, port);
    const again = await submitOrder(db, scope, port, o);
    const id = o.client_order_id;
    expect(sim.orderPosts(id)).toBeLessThanOrEqual(1);
    const onExchange = sim.orders().filter((x) => x.clientOrderId === id);
    expect(onExchange.length).toBeLessThanOrEqual(1);
    const trades = sim.trades().filter((x) => onExchange.some((e) => e.orderId === x.orderId));
    const fills = await tradingTx(db, scope, (tx) => fillsOf(tx, scope, id));
    expect(fills.map((f) => f.exchange_trade_id)).toEqual(trades.map((x) => String(x.id)));
    const row = await tradingTx(db, scope, (tx) => findOrder(tx, scope, id));
    return { recovered, again, row: row!, onExchange };
  }

  it('before the order is recorded: nothing anywhere, and the restarted decision is sent once', async () => {
    await killAt(s, order('market'), 'start');
    const r = await restart(order('market'));
    expect(r.recovered).toEqual([]);
    expect(r.row.state).toBe('FILLED');
    expect(r.onExchange).toHaveLength(1);
  }, 60_000);

  it('after it is recorded, before it leaves: the stale entry is not sent (RECONCILED_UNKNOWN)', async () => {
    await killAt(s, order('market'), 'recorded');
    const r = await restart(order('market'));
    expect(r.recovered.map((x) => x.outcome)).toEqual(['reconciled_unknown']);
    expect(r.row.state).toBe('RECONCILED_UNKNOWN');
    expect(r.onExchange).toHaveLength(0);
  }, 60_000);

  it('after the exchange filled it, before the answer is recorded: adopted with its fill, not sent again', async () => {
    await killAt(s, order('market'), 'answered');
    expect(s.sim.orders()).toHaveLength(1);
    const r = await restart(order('market'));
    expect(r.recovered.map((x) => [x.outcome, x.state])).toEqual([['adopted', 'FILLED']]);
    expect(r.row).toMatchObject({ state: 'FILLED', filled_qty: 0.01 });
  }, 60_000);

  it('a resting order recorded, then filled on the exchange while the process was dead: the fill is adopted', async () => {
    await killAt(s, order('limit'), 'settled');
    expect(s.sim.setPrice('BTC/USDT', 59_400)).toHaveLength(1);
    const r = await restart(order('limit'));
    expect(r.recovered.map((x) => [x.outcome, x.state])).toEqual([['adopted', 'FILLED']]);
    expect(r.row).toMatchObject({ state: 'FILLED', filled_qty: 0.01 });
  }, 60_000);
});
