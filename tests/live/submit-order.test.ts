import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binanceRejections, type BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { clientOrderId } from '../../trading/live/client-order-id.ts';
import type { ExchangePort } from '../../trading/live/exchange-port.ts';
import { fillsOf, findOrder } from '../../trading/live/orders-repo.ts';
import { recoverOrders } from '../../trading/live/recover-orders.ts';
import { submitOrder } from '../../trading/live/submit-order.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { openCcxtSpotPort } from '../../trading/live/ccxt-spot-port.ts';
import { fastPolicy, simPort, startSim } from './live-fixtures.ts';
import { withRateGate } from '../../market/exchange/rate-gate.ts';
import { sharedGate } from '../../market/exchange/rate-buckets-repo.ts';

const scope = tradingScope('LIVE');
const tick = Date.UTC(2026, 11, 3, 14);
const entry = (leg = 'entry') => ({
  client_order_id: clientOrderId({ pipeline: 'trend', symbol: 'BTC/USDT', tick, leg }),
  symbol: 'BTC/USDT',
  side: 'buy' as const,
  type: 'market' as const,
  role: 'entry' as const,
  qty: 0.01,
});
const orderPath = { path: '/api/v3/order', method: 'POST' };

/**
 * The order life cycle against the simulator through the real ccxt, on both backends:
 * whatever the exchange does, one decision is at most one order on the exchange, and
 * every fill it made is in the database.
 */
describe.each(backends)('submitting a live order (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let clock: { skewMs: number };
  let port: ExchangePort;
  beforeEach(async () => {
    db = await freshDb(kind);
    ({ sim, clock } = await startSim());
    port = await simPort(sim);
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });

  const fills = (id: string) => tradingTx(db, scope, (tx) => fillsOf(tx, scope, id));
  const audits = async (id: string) =>
    (
      await db.query<{ action_type: string }>(`select action_type from audit_trail where entity_id = $1 order by seq`, [
        id,
      ])
    ).map((r) => r.action_type);
  /** Each exchange trade of the order is in the database once, with its fee. */
  async function expectFillsMatch(id: string) {
    const onExchange = sim
      .trades('BTC/USDT')
      .filter((t) => sim.orders().find((o) => o.orderId === t.orderId)?.clientOrderId === id);
    const recorded = await fills(id);
    expect(recorded.map((f) => [f.exchange_trade_id, f.qty, f.price, f.fee, f.fee_asset])).toEqual(
      onExchange.map((t) => [String(t.id), t.qty, t.price, t.commission, t.commissionAsset]),
    );
    expect(onExchange.length).toBeGreaterThan(0);
  }

  it('records a market entry before it leaves, then its fill', async () => {
    const seen: string[] = [];
    const r = await submitOrder(db, scope, port, entry(), {
      onStep: async (step) => {
        // At 'recorded' the row is committed and the exchange has not been asked yet.
        if (step === 'recorded') {
          const row = await tradingTx(db, scope, (tx) => findOrder(tx, scope, entry().client_order_id));
          seen.push(`${step}:${row!.state}:${sim.orderPosts(entry().client_order_id)}`);
        } else seen.push(step);
      },
    });
    expect(seen).toEqual(['recorded:PENDING_SUBMIT:0', 'answered', 'settled']);
    expect(r).toMatchObject({
      reason: null,
      order: { state: 'FILLED', filled_qty: 0.01, avg_price: 60_000, attempts: 1 },
    });
    expect(sim.orderPosts(entry().client_order_id)).toBe(1);
    await expectFillsMatch(entry().client_order_id);
    expect(await audits(entry().client_order_id)).toEqual(['ORDER_SUBMITTED']);
    // The same decision again sends nothing.
    const again = await submitOrder(db, scope, port, entry());
    expect(again.order.state).toBe('FILLED');
    expect(sim.orderPosts(entry().client_order_id)).toBe(1);
  });

  it('a timeout after the exchange accepted: looked up by client id, not sent again, and the fill found', async () => {
    sim.faults.dropResponse({ ...orderPath, times: 1 });
    const r = await submitOrder(db, scope, port, entry());
    expect(r.order).toMatchObject({ state: 'FILLED', filled_qty: 0.01 });
    expect(sim.orderPosts(entry().client_order_id)).toBe(1);
    expect(sim.orders()).toHaveLength(1);
    await expectFillsMatch(entry().client_order_id);
  });

  it('a 5xx before the exchange accepted: sent again exactly once, after it said there is no such order', async () => {
    sim.faults.serverError(503, { ...orderPath, times: 1 });
    const r = await submitOrder(db, scope, port, entry());
    expect(r.order).toMatchObject({ state: 'FILLED', attempts: 2 });
    expect(sim.orderPosts(entry().client_order_id)).toBe(2);
    expect(sim.orders()).toHaveLength(1);
    const lookups = sim.requests.filter((q) => q.method === 'GET' && q.path === '/api/v3/order');
    expect(lookups.map((q) => q.query.origClientOrderId)).toEqual([entry().client_order_id]);
    await expectFillsMatch(entry().client_order_id);
  });

  it('-2010 insufficient balance: REJECTED with the reason, nothing sent again', async () => {
    const r = await submitOrder(db, scope, port, { ...entry(), qty: 1 });
    expect(r.order.state).toBe('REJECTED');
    expect(r.reason).toMatch(/^The account's free balance does not cover the order \(.*insufficient balance.*\)\.$/);
    expect(r.order.last_error).toBe(r.reason);
    expect(sim.orderPosts(entry().client_order_id)).toBe(1);
    expect(await audits(entry().client_order_id)).toEqual(['ORDER_REJECTED']);
  });

  it('-2010 answered for an order the simulator would have taken is a rejection too', async () => {
    sim.faults.reject(400, binanceRejections.insufficientBalance, { ...orderPath, times: 1 });
    const r = await submitOrder(db, scope, port, entry());
    expect(r.order.state).toBe('REJECTED');
    expect(sim.orders()).toHaveLength(0);
  });

  it('-1021 clock skew: the clock is resynced and the order sent once more, and succeeds', async () => {
    clock.skewMs = 20_000;
    const r = await submitOrder(db, scope, port, entry());
    expect(r.order.state).toBe('FILLED');
    expect(port.clockOffsetMs()).toBeGreaterThan(15_000);
    expect(sim.orderPosts(entry().client_order_id)).toBe(2);
    expect(sim.orders()).toHaveLength(1);
  });

  it('a rate limit: REJECTED, not sent again, and the wait it asked for is kept for the checks', async () => {
    sim.faults.rateLimit(30, { ...orderPath, times: 1 });
    const r = await submitOrder(db, scope, port, entry());
    expect(r.order.state).toBe('REJECTED');
    expect(sim.orderPosts(entry().client_order_id)).toBe(1);
    expect(sim.orders()).toHaveLength(0);
    expect(port.rateLimitedUntil()).toBeGreaterThan(Date.now() + 20_000);
  });

  it("under a shared gate: each order takes its tokens, and a rate limit's Retry-After blocks every worker", async () => {
    await db.query(
      `update rate_buckets set tokens = capacity, refill_per_s = 1e-9, updated_at = now() where exchange = 'binance'`,
    );
    const gated = await withRateGate(sharedGate(db, { batch: {} }), () => simPort(sim));
    expect((await submitOrder(db, scope, gated, entry())).order.state).toBe('FILLED');
    sim.faults.rateLimit(30, { ...orderPath, times: 1 });
    expect((await submitOrder(db, scope, gated, entry('second'))).order.state).toBe('REJECTED');
    const buckets = await db.query<{ bucket: string; tokens: number; blocked_s: number }>(
      `select bucket, tokens, extract(epoch from blocked_until - now())::float8 as blocked_s
       from rate_buckets where exchange = 'binance' order by bucket`,
    );
    expect(buckets.map((b) => b.bucket)).toEqual(['orders', 'request_weight']);
    expect(buckets[0]!.tokens).toBeCloseTo(10 - 2, 6);
    expect(buckets[1]!.tokens).toBeCloseTo(1200 - 20 - 1 - 1, 3); // the markets, then both orders
    for (const b of buckets) expect(b.blocked_s).toBeGreaterThan(20);
  });

  it('wrong API credentials: REJECTED, and neither the key, the secret nor a signature reaches the database', async () => {
    const wrong = await openCcxtSpotPort('binance', {
      credentials: { apiKey: 'wrong-key-4f7a9c', secret: 'wrong-secret-8d2e1b' },
      env: { TRADER_EXCHANGE_URL_BINANCE: sim.url },
      policy: fastPolicy,
    });
    const r = await submitOrder(db, scope, wrong, entry());
    expect(r.order.state).toBe('REJECTED');
    expect(r.reason).toMatch(/Invalid API-key/);
    const dump = JSON.stringify([
      await db.query('select * from trading_live.orders'),
      await db.query('select details from audit_trail'),
    ]);
    expect(dump).not.toMatch(/wrong-key-4f7a9c|wrong-secret-8d2e1b|signature=/);
  });

  it('a malformed answer is one clear error, and the order stays resolvable', async () => {
    const garbled = sim.faults.malformedJson({ path: '/api/v3/order' });
    const r = await submitOrder(db, scope, port, entry());
    expect(r.order.state).toBe('PENDING_SUBMIT');
    expect(r.reason).toMatch(
      /^The outcome of tr-entry-[0-9a-f]{24} is not known yet \(.+\); it is looked up again at the next start\.$/,
    );
    expect(r.reason).not.toMatch(/signature=|\n|\bat \//);
    garbled.clear();
    const recovered = await recoverOrders(db, scope, port);
    expect(recovered).toEqual([
      { client_order_id: entry().client_order_id, outcome: 'adopted', state: 'FILLED', detail: null },
    ]);
    expect(sim.orderPosts(entry().client_order_id)).toBe(1);
    await expectFillsMatch(entry().client_order_id);
  });
});
