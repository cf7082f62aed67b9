import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendExitCloses } from '../../engine/run/live-run.ts';
import type { SymbolOutcome } from '../../engine/run/run-types.ts';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { actOnExits } from '../../trading/engine/act-on-exits.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { liveDb, liveOrder, simPort, startSim } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const run_id = '00000000-0000-4000-8000-0000000000e1';
const asOf = new Date(Date.UTC(2026, 11, 3, 17));

/**
 * A module's exit request in LIVE Full-Auto: the decision's transaction marks it `sent`,
 * and once it committed the live broker closes the position at market on the exchange
 * (run-pipeline calls sendExitCloses). Against the Binance simulator, on both backends.
 */
describe.each(backends)('a LIVE exit request (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let broker: LiveBroker;
  let position_id: number;
  const decide = (live: boolean) =>
    tradingTx(db, scope, (tx) =>
      actOnExits(tx, scope, [{ position_id, symbol: 'BTC/USDT', reason: 'trade invalidated', source: 'test_v1' }], {
        run_id,
        as_of: asOf,
        live,
      }),
    );
  const outcomeWith = (exits: SymbolOutcome['exits']): SymbolOutcome => ({
    symbol: 'BTC/USDT',
    outcome: 'no_trade',
    reason: 'test',
    intents: [],
    exits,
    signals: 0,
    ideas: 0,
    modules_run: 0,
  });
  const status = async () =>
    (
      await db.query<{ status: string }>('select status from trading_live.positions where position_id = $1', [
        position_id,
      ])
    )[0]!.status;
  const marketSells = () => sim.orders().filter((o) => o.type === 'MARKET' && o.side === 'SELL');

  beforeEach(async () => {
    db = await liveDb(kind, run_id);
    ({ sim } = await startSim());
    broker = await liveBrokerFor(db, { port: await simPort(sim) });
    const queued = await tradingTx(db, scope, (tx) =>
      broker.open(tx, liveOrder(run_id, { as_of: new Date(Date.UTC(2026, 11, 3, 16)) })),
    );
    if (!queued.ok) throw new Error(queued.message);
    position_id = (await broker.send(db, queued.client_order_id)).position_id!;
    expect(sim.openOrders().map((o) => o.type)).toEqual(['LIMIT_MAKER', 'STOP_LOSS_LIMIT']);
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });

  it('is sent, then closed at market on the exchange; a retry of the same decision sells nothing more', async () => {
    sim.setPrice('BTC/USDT', 61_000);
    const exits = await decide(true);
    expect(exits).toEqual([expect.objectContaining({ action: 'sent', position_id })]);
    // Nothing leaves inside the decision's transaction.
    expect(marketSells()).toEqual([]);
    const outcome = outcomeWith(exits);
    await sendExitCloses(db, broker, outcome, { run_id, as_of: asOf });
    expect(outcome.exits).toEqual([expect.objectContaining({ action: 'closed', fill_price: 61_000 })]);
    expect(await status()).toBe('closed');
    expect(sim.openOrders()).toEqual([]);
    expect(marketSells()).toHaveLength(1);

    // The process died after the close but before the run recorded it: the same decision again.
    const retry = outcomeWith([{ position_id, symbol: 'BTC/USDT', action: 'sent', reason: 'trade invalidated' }]);
    await sendExitCloses(db, broker, retry, { run_id, as_of: asOf });
    expect(retry.exits![0]!.action).toBe('closed');
    expect(marketSells()).toHaveLength(1);
    const audit = await db.query<{ action_type: string }>(
      "select action_type from audit_trail where action_type like 'EXIT_REQUEST%' order by seq",
    );
    expect(audit.map((a) => a.action_type)).toEqual(['EXIT_REQUEST_SENT']);
  });

  it('an exchange that fails the cancel: failed with the reason, the position open and still protected', async () => {
    const fault = sim.faults.serverError(503, { path: '/api/v3/order', method: 'DELETE' });
    const outcome = outcomeWith(await decide(true));
    await sendExitCloses(db, broker, outcome, { run_id, as_of: asOf });
    expect(outcome.exits).toEqual([
      expect.objectContaining({ action: 'failed', problem: expect.stringMatching(/could not be cancelled/) }),
    ]);
    expect(await status()).toBe('open');
    expect(sim.openOrders().map((o) => o.type)).toEqual(['LIMIT_MAKER', 'STOP_LOSS_LIMIT']);
    expect(marketSells()).toEqual([]);
    fault.clear();
  });

  it('without the live broker (keys locked) or outside Full-Auto it is recorded for the user', async () => {
    expect((await decide(false))[0]!.action).toBe('recorded');
    await db.exec(`update trading_live.state set operational_mode = 'semi_auto'`);
    expect((await decide(true))[0]!.action).toBe('recorded');
    expect(marketSells()).toEqual([]);
  });
});
