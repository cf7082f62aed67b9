import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { haltActionAfterPrelude } from '../../engine/run/live-run.ts';
import type { OpenOrder } from '../../trading/broker.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { prepareTrading } from '../../trading/engine/prepare-trading.ts';
import { carryOutHaltAction } from '../../trading/governance/halt-exchange-action.ts';
import { loadTradingStatus } from '../../trading/governance/trading-status.ts';
import type { ExchangePort } from '../../trading/live/exchange-port.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { findOrder } from '../../trading/live/orders-repo.ts';
import { reconcileAccount } from '../../trading/live/reconcile/reconcile.ts';
import { sendRecorded } from '../../trading/live/submit-order.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { currentState } from '../../trading/state-repo.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { btcMarket, liveDb, liveOrder, simPort, startSim } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const run_id = '00000000-0000-4000-8000-0000000000c1';
const ethMarket = { ...btcMarket, symbol: 'ETH/USDT', price: 3_000 };

const order = (over: Partial<OpenOrder> = {}): OpenOrder =>
  liveOrder(run_id, { as_of: new Date(Date.UTC(2026, 11, 3, 16)), ...over });
const ethOrder = () =>
  order({ symbol: 'ETH/USDT', qty: 0.1, entry: 3_000, stop: 2_900, take_profits: [{ price: 3_200, fraction: 1 }] });

/**
 * The emergency halt in LIVE, against the Binance simulator through the real ccxt, on both
 * backends: it judges the drawdown reconciliation computed from the exchange's balances,
 * commits, then its action is carried out on the exchange by the live broker, resumably
 * and without ever placing an order twice.
 */
describe.each(backends)('the LIVE emergency halt on the exchange (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let port: ExchangePort;
  let broker: LiveBroker;
  beforeEach(async () => {
    db = await liveDb(kind, run_id, ['BTC/USDT', 'ETH/USDT']);
    ({ sim } = await startSim({ markets: [btcMarket, ethMarket] }));
    port = await simPort(sim);
    broker = await liveBrokerFor(db, { port });
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });

  const q = <T>(sql: string, params: unknown[] = []) => db.query<T>(sql, params);
  const state = () => currentState(db, scope);
  const pass = () => ({ now: new Date(), run_id });
  /** Requests that can change something on the exchange (orders placed or cancelled). */
  const writes = () => sim.requests.filter((r) => r.method !== 'GET').length;
  const auditsOf = async (action: string) =>
    q<{ status: string; entity_id: string | null; details: Record<string, unknown> }>(
      'select status, entity_id, details from audit_trail where action_type = $1 order by seq',
      [action],
    );
  async function queue(o: OpenOrder): Promise<string> {
    const queued = await tradingTx(db, scope, (tx) => broker.open(tx, o));
    if (!queued.ok) throw new Error(queued.message);
    return queued.client_order_id;
  }
  /** Sent; with `late` the exchange accepts it and leaves it NEW (unfilled) until cancelled. */
  async function enter(o: OpenOrder, late = false): Promise<string> {
    const id = await queue(o);
    if (late) sim.lateFills({});
    await broker.send(db, id);
    return id;
  }
  const btcPositionId = async () =>
    (await q<{ position_id: number }>("select position_id from trading_live.positions where symbol = 'BTC/USDT'"))[0]!
      .position_id;
  const breach = (action: string) =>
    db.exec(`update trading_live.state set emergency_halt_action = '${action}', close_all_acknowledged_at = now(),
      drawdown_pct = 30, equity_as_of = now()`);
  /** No client order id reached the exchange twice. */
  async function expectNoDuplicates() {
    const ids = (await q<{ client_order_id: string }>('select client_order_id from trading_live.orders')).map(
      (r) => r.client_order_id,
    );
    expect(ids.filter((id) => sim.orderPosts(id) > 1)).toEqual([]);
    expect(new Set(sim.orders().map((o) => o.clientOrderId)).size).toBe(sim.orders().length);
  }

  it('CANCEL_ORDERS_AND_HALT on the reconciled drawdown: open entries and closes cancelled, the stop kept, done once', async () => {
    await enter(order());
    const ethEntry = await enter(ethOrder(), true);
    // A close the exchange took but has not filled: it had cancelled the position's OCO first.
    sim.lateFills({});
    await broker.close(db, await btcPositionId(), { reason: 'user', ts: new Date(), run_id });
    const [close] = await q<{ client_order_id: string }>(
      "select client_order_id from trading_live.orders where role = 'close'",
    );
    // The peak an earlier reconciliation saw; the drawdown recorded is not one reconciliation computed.
    await db.exec(`update trading_live.state set emergency_halt_action = 'CANCEL_ORDERS_AND_HALT',
      peak_equity = 13000, drawdown_pct = 30`);
    expect((await prepareTrading(db, scope, new Date(), run_id)).emergency_halt).toBe(false);
    // Reconciliation: equity 9 400 USDT + 0.00999 BTC at 60 000, against the peak of 13 000.
    await reconcileAccount(db, port);
    expect((await state()).drawdown_pct).toBeCloseTo(((13_000 - 9_999.4) / 13_000) * 100, 2);
    expect((await prepareTrading(db, scope, new Date(), run_id)).emergency_halt).toBe(true);
    expect(await state()).toMatchObject({ emergency: true, halt_action_pending: 'CANCEL_ORDERS_AND_HALT' });

    await haltActionAfterPrelude(db, scope, broker, pass());
    expect(await state()).toMatchObject({ halt_action_pending: null, halt_action_problem: null });
    const onExchange = (id: string) => sim.orders().find((o) => o.clientOrderId === id)!.status;
    expect([onExchange(ethEntry), onExchange(close!.client_order_id)]).toEqual(['CANCELED', 'CANCELED']);
    // The position the close left without protection is protected again: its new OCO is all that is open.
    expect(sim.openOrders().map((o) => [o.symbol, o.type])).toEqual([
      ['BTC/USDT', 'LIMIT_MAKER'],
      ['BTC/USDT', 'STOP_LOSS_LIMIT'],
    ]);
    expect(await q("select status from trading_live.positions where symbol = 'BTC/USDT'")).toEqual([
      { status: 'open' },
    ]);
    expect((await auditsOf('ORDER_CANCELLED')).map((a) => a.entity_id).sort()).toEqual(
      [ethEntry, close!.client_order_id].sort(),
    );
    expect((await auditsOf('EMERGENCY_HALT_ACTION')).map((a) => a.status)).toEqual(['SUCCESS']);

    // Idempotent: another pass finds nothing to do and sends nothing.
    const before = writes();
    expect(await broker.haltAction(db, 'CANCEL_ORDERS_AND_HALT', pass())).toMatchObject({
      cancelled: [],
      closed: [],
      problems: [],
    });
    expect(await carryOutHaltAction(db, scope, broker, pass())).toBeNull();
    expect(writes()).toBe(before);
    await expectNoDuplicates();
  });

  it('MARKET_CLOSE_ALL_AND_HALT: a fault mid-way leaves the rest pending, shown in status; the next pass completes it', async () => {
    await enter(order());
    const ethEntry = await enter(ethOrder(), true);
    await breach('MARKET_CLOSE_ALL_AND_HALT');
    expect((await prepareTrading(db, scope, new Date(), run_id)).emergency_halt).toBe(true);

    // The first cancel (the open ETH entry) fails; the BTC close goes on.
    sim.faults.serverError(503, { path: '/api/v3/order', method: 'DELETE', times: 1 });
    const first = await carryOutHaltAction(db, scope, broker, pass());
    expect(first).toMatchObject({ done: false, closed: [await btcPositionId()], cancelled: [] });
    expect(first!.problems).toEqual([expect.stringContaining(`${ethEntry} (ETH/USDT) could not be cancelled`)]);
    const status = await loadTradingStatus(db, scope);
    expect(status.halt).toMatchObject({
      action_pending: 'MARKET_CLOSE_ALL_AND_HALT',
      action_problem: expect.stringContaining('could not be cancelled'),
    });
    expect((await auditsOf('ORDER_CANCEL_FAILED')).map((a) => a.entity_id)).toEqual([ethEntry]);
    expect(await q("select status from trading_live.positions where symbol = 'BTC/USDT'")).toEqual([
      { status: 'closed' },
    ]);

    const second = await carryOutHaltAction(db, scope, broker, pass());
    expect(second).toMatchObject({ done: true, cancelled: [ethEntry], closed: [], problems: [] });
    expect(await state()).toMatchObject({ halt_action_pending: null, halt_action_problem: null });
    expect(sim.openOrders()).toEqual([]);
    expect(sim.balances().BTC?.free ?? 0).toBe(0);
    expect((await auditsOf('EMERGENCY_HALT_ACTION')).map((a) => [a.status, a.details.slippage_warning])).toEqual([
      ['FAILURE', expect.stringMatching(/slippage/)],
      ['SUCCESS', expect.stringMatching(/slippage/)],
    ]);

    const before = writes();
    expect(await broker.haltAction(db, 'MARKET_CLOSE_ALL_AND_HALT', pass())).toMatchObject({
      cancelled: [],
      closed: [],
      problems: [],
    });
    expect(writes()).toBe(before);
    await expectNoDuplicates();
  });

  it('HALT_ONLY touches nothing on the exchange, and an entry in flight at the halt is never sent', async () => {
    await enter(order());
    const inFlight = await queue(ethOrder());
    const snapshot = (await tradingTx(db, scope, (tx) => findOrder(tx, scope, inFlight)))!;
    await breach('HALT_ONLY');
    const before = sim.requests.length;
    expect((await prepareTrading(db, scope, new Date(), run_id)).emergency_halt).toBe(true);
    expect(await carryOutHaltAction(db, scope, broker, pass())).toBeNull();
    expect(sim.requests.length).toBe(before);
    expect(sim.openOrders()).toHaveLength(2);
    expect(await state()).toMatchObject({ emergency: true, halt_action_pending: null });

    // Cancelled in the halt's transaction: the broker, a sender holding the old row, recovery: none sends it.
    expect((await auditsOf('ORDER_CANCELLED')).map((a) => [a.entity_id, a.details.never_sent])).toEqual([
      [inFlight, true],
    ]);
    expect(await broker.send(db, inFlight)).toMatchObject({ position_id: null, order: { state: 'CANCELED' } });
    const raced = await sendRecorded(db, scope, port, snapshot, { lookupFirst: false });
    expect(raced.reason).toBe(`${inFlight} was not sent: it is CANCELED now.`);
    expect((await broker.recover(db)).map((r) => r.client_order_id)).not.toContain(inFlight);
    expect(sim.orderPosts(inFlight)).toBe(0);
  });
});
