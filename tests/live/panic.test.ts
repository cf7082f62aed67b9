import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import { TraderError } from '../../core/errors.ts';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { Db } from '../../store/db.ts';
import { openDb } from '../../store/open.ts';
import type { OpenOrder } from '../../trading/broker.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { carryOutHaltAction } from '../../trading/governance/halt-exchange-action.ts';
import { panicHalt } from '../../trading/governance/panic.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { currentState } from '../../trading/state-repo.ts';
import { cliBackends } from '../helpers/cli.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { killChildAt, killSuite } from './kill-child.ts';
import { btcMarket, liveDb, liveOrder, liveSetupSql, simPort, startSim } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const run_id = '00000000-0000-4000-8000-0000000000d7';
const ethMarket = { ...btcMarket, symbol: 'ETH/USDT', price: 3_000 };
const child = path.join(packageRoot, 'tests/fixtures/scripts/panic-child.ts');
const order = (over: Partial<OpenOrder> = {}) =>
  liveOrder(run_id, { as_of: new Date(Date.UTC(2026, 11, 3, 16)), ...over });
const ethOrder = () =>
  order({ symbol: 'ETH/USDT', qty: 0.1, entry: 3_000, stop: 2_900, take_profits: [{ price: 3_200, fraction: 1 }] });
const sayPhrase = { phrase: async (_w: string, phrase: string) => phrase };
const configure = (db: Db, action: string) =>
  db.exec(`update trading_live.state set emergency_halt_action = '${action}', close_all_acknowledged_at = now()`);

/** Requests that can change something on the exchange. */
const writes = (sim: BinanceSimulator) => sim.requests.filter((r) => r.method !== 'GET').length;

/** No client order id reached the exchange twice. */
function expectNoDuplicates(sim: BinanceSimulator) {
  const ids = sim.orders().map((o) => o.clientOrderId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.filter((id) => sim.orderPosts(id) > 1)).toEqual([]);
}

async function enter(db: Db, broker: LiveBroker, o: OpenOrder, sim?: BinanceSimulator): Promise<string> {
  const queued = await tradingTx(db, scope, (tx) => broker.open(tx, o));
  if (!queued.ok) throw new Error(queued.message);
  if (sim) sim.lateFills({});
  await broker.send(db, queued.client_order_id);
  return queued.client_order_id;
}

/**
 * PANIC in LIVE against the Binance simulator through the real ccxt, on both backends: the
 * halt commits, then the exchange action runs at once through the live broker; a refusal
 * before it changes nothing; a fault leaves the rest pending and a second PANIC finishes it.
 */
describe.each(backends)('PANIC in LIVE on the exchange (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let broker: LiveBroker;
  beforeEach(async () => {
    db = await liveDb(kind, run_id, ['BTC/USDT', 'ETH/USDT']);
    ({ sim } = await startSim({ markets: [btcMarket, ethMarket] }));
    broker = await liveBrokerFor(db, { port: await simPort(sim) });
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });
  const panic = (openBroker = async () => broker) =>
    panicHalt(db, scope, { reason: 'exchange trouble', ask: sayPhrase, openBroker });
  const positions = () =>
    db.query<{ symbol: string; status: string }>('select symbol, status from trading_live.positions order by symbol');
  const audits = () =>
    db.query<{ actor: string; action_type: string; status: string }>(
      `select actor, action_type, status from audit_trail where action_type in
        ('EMERGENCY_HALT_TRIGGERED', 'PROPOSALS_CANCELLED', 'EMERGENCY_HALT_ACTION') order by seq`,
    );

  it('with MARKET_CLOSE_ALL_AND_HALT: sells every position on the exchange at once, and a second PANIC sends nothing', async () => {
    await enter(db, broker, order());
    await enter(db, broker, ethOrder());
    await configure(db, 'MARKET_CLOSE_ALL_AND_HALT');
    const r = await panic();
    expect(r).toMatchObject({ action: 'MARKET_CLOSE_ALL_AND_HALT', closed: null });
    expect(r.exchange).toMatchObject({ done: true, problems: [] });
    expect(r.exchange!.closed).toHaveLength(2);
    expect(r.state).toMatchObject({
      emergency: true,
      halt_reason: 'PANIC: exchange trouble',
      halt_action_pending: null,
    });
    expect(await positions()).toEqual([
      { symbol: 'BTC/USDT', status: 'closed' },
      { symbol: 'ETH/USDT', status: 'closed' },
    ]);
    expect(sim.openOrders()).toEqual([]);
    expect([sim.balances().BTC?.free ?? 0, sim.balances().ETH?.free ?? 0]).toEqual([0, 0]);
    expect(await audits()).toEqual([
      { actor: 'USER', action_type: 'EMERGENCY_HALT_TRIGGERED', status: 'CRITICAL' },
      { actor: 'SYSTEM', action_type: 'PROPOSALS_CANCELLED', status: 'SUCCESS' },
      { actor: 'SYSTEM', action_type: 'EMERGENCY_HALT_ACTION', status: 'SUCCESS' },
    ]);
    const before = writes(sim);
    expect((await panic()).exchange).toMatchObject({ done: true, cancelled: [], closed: [] });
    expect(writes(sim)).toBe(before);
    expectNoDuplicates(sim);
  });

  it('with HALT_ONLY configured: cancels the resting entry, keeps the position and its stop', async () => {
    await enter(db, broker, order());
    const resting = await enter(db, broker, ethOrder(), sim);
    const r = await panic();
    expect(r).toMatchObject({ action: 'CANCEL_ORDERS_AND_HALT', exchange: { done: true, cancelled: [resting] } });
    expect(sim.orders().find((o) => o.clientOrderId === resting)!.status).toBe('CANCELED');
    expect(await positions()).toEqual([{ symbol: 'BTC/USDT', status: 'open' }]);
    expect(sim.openOrders().map((o) => [o.symbol, o.type])).toEqual([
      ['BTC/USDT', 'LIMIT_MAKER'],
      ['BTC/USDT', 'STOP_LOSS_LIMIT'],
    ]);
  });

  it('a refused PIN halts nothing and sends nothing; it is audited FAILURE', async () => {
    await enter(db, broker, order());
    await configure(db, 'MARKET_CLOSE_ALL_AND_HALT');
    const before = writes(sim);
    await expectTraderError(
      panic(async () => {
        throw new TraderError('BAD_INPUT', 'Wrong PIN.');
      }),
      'BAD_INPUT',
      /Wrong PIN/,
    );
    expect(await currentState(db, scope)).toMatchObject({ halted: false, halt_action_pending: null });
    expect(writes(sim)).toBe(before);
    expect(await audits()).toEqual([{ actor: 'USER', action_type: 'EMERGENCY_HALT_TRIGGERED', status: 'FAILURE' }]);
  });

  it('an exchange fault leaves the halt in place and the rest pending; a second PANIC finishes it', async () => {
    await enter(db, broker, order());
    const resting = await enter(db, broker, ethOrder(), sim);
    await configure(db, 'MARKET_CLOSE_ALL_AND_HALT');
    sim.faults.serverError(503, { path: '/api/v3/order', method: 'DELETE', times: 1 });
    const first = await panic();
    expect(first.exchange).toMatchObject({ done: false });
    expect(first.state).toMatchObject({ emergency: true, halt_action_pending: 'MARKET_CLOSE_ALL_AND_HALT' });
    const second = await panic();
    expect(second.exchange).toMatchObject({ done: true, problems: [] });
    expect(second.state.halt_action_pending).toBeNull();
    expect(sim.orders().find((o) => o.clientOrderId === resting)!.status).toBe('CANCELED');
    expect(await positions()).toEqual([{ symbol: 'BTC/USDT', status: 'closed' }]);
    expectNoDuplicates(sim);
  });
});

/**
 * kill -9 in the middle of a LIVE PANIC: after the halt committed and before any request
 * reached the exchange, and after the exchange took the market sell but before it was
 * booked. The next LIVE run's pass (carryOutHaltAction) finishes the job: the position is
 * sold once, booked once, and no client order id reaches the exchange twice.
 */
describe.each(cliBackends)('kill -9 during a LIVE PANIC, then the next pass (%s)', (kind) => {
  const s = killSuite(kind, liveSetupSql(run_id));

  it.each(['halt_committed', 'order_accepted'])(
    'killed at %s',
    async (step) => {
      const db = (s.db = await openDb({ env: s.t.env }));
      const port = await simPort(s.sim);
      await enter(db, await liveBrokerFor(db, { port }), order());
      await configure(db, 'MARKET_CLOSE_ALL_AND_HALT');
      await db.close();
      s.db = undefined;

      await killChildAt(child, [s.sim.url], s.t.env, step);
      expect(s.sim.openOrders().length).toBe(step === 'halt_committed' ? 2 : 0);

      const again = (s.db = await openDb({ env: s.t.env }));
      expect(await currentState(again, scope)).toMatchObject({
        emergency: true,
        halt_reason: 'PANIC: kill test',
        halt_action_pending: 'MARKET_CLOSE_ALL_AND_HALT',
      });
      const broker = await liveBrokerFor(again, { port });
      const pass = await carryOutHaltAction(again, scope, broker, { now: new Date(), run_id: null });
      expect(pass).toMatchObject({ done: true, problems: [] });
      expect(await again.query('select status from trading_live.positions')).toEqual([{ status: 'closed' }]);
      expect(s.sim.balances().BTC?.free ?? 0).toBe(0);
      const sells = s.sim.orders().filter((o) => o.side === 'SELL' && o.type === 'MARKET');
      expect(sells).toHaveLength(1);
      const booked = await again.query("select 1 from trading_live.trades where side = 'sell'");
      expect(booked).toHaveLength(1);
      expectNoDuplicates(s.sim);
    },
    60_000,
  );
});
