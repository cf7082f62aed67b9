import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BinanceSimulator } from '../../../simulator/binance-simulator.ts';
import { liveBrokerFor } from '../../../trading/broker-for.ts';
import { withLiveExchange } from '../../../trading/live/exchange-section.ts';
import type { ExchangePort } from '../../../trading/live/exchange-port.ts';
import type { LiveBroker } from '../../../trading/live/live-broker.ts';
import { liveReconciler } from '../../../trading/live/reconcile/reconcile-service.ts';
import { tradingScope, tradingTx } from '../../../trading/scope.ts';
import { backends, type TestDb } from '../../helpers/db.ts';
import { liveDb, liveOrder, simPort, startSim } from '../live-fixtures.ts';

const scope = tradingScope('LIVE');
const run_id = '00000000-0000-4000-8000-0000000000c7';

/**
 * `trader serve` and `trader schedule run` between runs (reconcile-service.ts `ifDue`): a
 * held LIVE position is supervised on the exchange without waiting for the next run, but
 * never while a run is in progress, and nothing is asked of the exchange when LIVE holds
 * nothing.
 */
describe.each(backends)('LIVE supervision between runs (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let port: ExchangePort;
  let broker: LiveBroker;
  let portsOpened: number;
  beforeEach(async () => {
    db = await liveDb(kind, run_id);
    ({ sim } = await startSim());
    port = await simPort(sim);
    broker = await liveBrokerFor(db, { port });
    portsOpened = 0;
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });

  const reconciler = () =>
    liveReconciler({
      exchange: 'binance',
      intervalMs: 60_000,
      openPort: async () => {
        portsOpened += 1;
        return port;
      },
    });
  const finishRun = () => db.query(`update pipeline_runs set status = 'succeeded' where run_id = $1`, [run_id]);
  const positionStatus = async () =>
    (
      await db.query<{ status: string; close_reason: string | null }>(
        'select status, close_reason from trading_live.positions',
      )
    )[0];
  async function enter() {
    const queued = await tradingTx(db, scope, (tx) => broker.open(tx, liveOrder(run_id)));
    if (!queued.ok) throw new Error(queued.message);
    await broker.send(db, queued.client_order_id);
  }

  it('holding nothing, the exchange is not asked', async () => {
    await finishRun();
    expect(await reconciler().ifDue(db)).toBeNull();
    expect(portsOpened).toBe(0);
  });

  it('a stop that gapped past its limit is closed at market between runs, then reconciled', async () => {
    await enter();
    await finishRun();
    sim.setPrice('BTC/USDT', 58_000); // below the stop's limit: triggered, resting, unfilled
    const report = await reconciler().ifDue(db);
    expect(report).toMatchObject({ outcome: 'reconciled', unexplained: 0 });
    expect(await positionStatus()).toEqual({ status: 'closed', close_reason: 'close' });
    expect(sim.openOrders()).toEqual([]);
    const audits = await db.query<{ action_type: string }>(
      "select action_type from audit_trail where action_type in ('LIVE_STOP_GAPPED', 'LIVE_POSITION_CLOSE') order by seq",
    );
    expect(audits.map((a) => a.action_type)).toEqual(['LIVE_STOP_GAPPED', 'LIVE_POSITION_CLOSE']);
  });

  it('while a run is in progress the tick leaves the exchange to the run; its next tick acts', async () => {
    await enter(); // the run of liveDb is still running
    sim.setPrice('BTC/USDT', 58_000);
    const r = reconciler();
    expect(await r.ifDue(db)).toBeNull();
    expect(await positionStatus()).toMatchObject({ status: 'open' });
    expect(sim.openOrders().map((o) => o.type)).toEqual(['STOP_LOSS_LIMIT']);
    await finishRun();
    expect(await r.ifDue(db)).toMatchObject({ outcome: 'reconciled' });
    expect(await positionStatus()).toMatchObject({ status: 'closed' });
  });

  it('in one process a tick waits for the LIVE run holding the exchange section', async () => {
    await enter();
    await finishRun();
    sim.setPrice('BTC/USDT', 58_000);
    const order: string[] = [];
    let release!: () => void;
    const run = withLiveExchange(async () => {
      order.push('run starts');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('run ends');
    });
    const tick = reconciler()
      .ifDue(db)
      .then(() => order.push('tick done'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await positionStatus()).toMatchObject({ status: 'open' });
    release();
    await Promise.all([run, tick]);
    expect(order).toEqual(['run starts', 'run ends', 'tick done']);
    expect(await positionStatus()).toMatchObject({ status: 'closed' });
  });
});
