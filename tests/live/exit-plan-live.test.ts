import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { OpenOrder } from '../../trading/broker.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { liveBrokerOnSim, liveOrder } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const H = 3_600_000;
const run_id = '00000000-0000-4000-8000-0000000000e1';
/** A ladder of two rungs (61 000 and 63 000, half each) whose stop moves to the entry after the first. */
const ladder: Partial<OpenOrder> = {
  take_profits: [
    { price: 61_000, fraction: 0.5 },
    { price: 63_000, fraction: 0.5 },
  ],
  breakeven_after_tp: 1,
};

/**
 * The exit plan's rules on the exchange (trading/live/follow-exit-plan-live.ts), against the
 * Binance simulator through the real ccxt, on both backends: the stop moved to breakeven
 * after the first rung (old protection cancelled, new protection at the entry for what is
 * left), the time stop closing at market, and a price already below the moved stop.
 */
describe.each(backends)('the exit plan on the exchange (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let broker: LiveBroker;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ db, sim, broker, close } = await liveBrokerOnSim(kind, run_id));
  });
  afterEach(() => close());

  const position = async () =>
    (
      await db.query<{
        position_id: number;
        status: string;
        stop_price: string;
        open_qty: string;
        close_reason: string;
      }>('select * from trading_live.positions')
    )[0]!;
  const audits = (type: string) =>
    db.query<{ details: Record<string, unknown> }>(
      'select details from audit_trail where action_type = $1 order by seq',
      [type],
    );
  async function enter(over: Partial<OpenOrder>) {
    const queued = await tradingTx(db, scope, (tx) => broker.open(tx, liveOrder(run_id, over)));
    if (!queued.ok) throw new Error(queued.message);
    return broker.send(db, queued.client_order_id);
  }
  /** The stops resting on the exchange: [quantity, trigger, limit]. */
  const stopsOnExchange = () =>
    sim
      .openOrders()
      .filter((o) => o.type === 'STOP_LOSS_LIMIT')
      .map((o) => [o.origQty, o.stopPrice, o.price]);
  const supervise = (now = new Date()) => broker.supervise(db, { now, run_id: null });

  it('after the first rung fills, the stop of what is left moves to the entry on the exchange', async () => {
    await enter(ladder);
    expect(stopsOnExchange()).toEqual([
      [0.00499, 59_000, 58_705],
      [0.005, 59_000, 58_705],
    ]);
    sim.setPrice('BTC/USDT', 61_500); // the first OCO's target fills, its stop expires
    const [report] = await supervise();
    expect(report).toMatchObject({ action: 'stop_moved', fills_booked: 1 });
    const pos = await position();
    expect(Number(pos.stop_price)).toBe(60_000);
    // The second rung's OCO was cancelled and placed again: target 63 000, stop at the entry 60 000 (limit 0.5% below).
    expect(stopsOnExchange()).toEqual([[0.005, 60_000, 59_700]]);
    expect(sim.openOrders().map((o) => [o.type, o.price])).toContainEqual(['LIMIT_MAKER', 63_000]);
    expect((await audits('STOP_MOVED')).map((a) => [a.details.old_stop, a.details.new_stop])).toEqual([
      [59_000, 60_000],
    ]);
    // No client order id was used twice on the exchange.
    const ids = sim.orders().map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    // A second pass finds nothing to move.
    expect((await supervise())[0]).toMatchObject({ action: 'watched' });
    expect(sim.orders()).toHaveLength(ids.length);

    sim.setPrice('BTC/USDT', 59_950); // through the moved stop, far above the original 59 000
    expect((await supervise())[0]).toMatchObject({ action: 'closed_by_exchange' });
    expect(await position()).toMatchObject({ status: 'closed', close_reason: 'stop_loss' });
  });

  it('a price already below the moved stop when the fill is seen: closed at market, no stop placed above it', async () => {
    await enter(ladder);
    sim.setPrice('BTC/USDT', 61_500);
    sim.setPrice('BTC/USDT', 59_900); // below the entry, above the original stop
    const [report] = await supervise();
    expect(report).toMatchObject({ action: 'breakeven_closed' });
    expect(await position()).toMatchObject({ status: 'closed', close_reason: 'close' });
    expect(sim.openOrders()).toEqual([]);
  });

  it('the time stop closes at market once its bars passed without a target', async () => {
    await enter({ time_stop_bars: 2 });
    const asOf = liveOrder(run_id).as_of.getTime();
    expect((await supervise(new Date(asOf + 2 * H - 1)))[0]).toMatchObject({ action: 'watched' });
    expect((await position()).status).toBe('open');
    const [report] = await supervise(new Date(asOf + 2 * H));
    expect(report).toMatchObject({ action: 'time_stop_closed' });
    expect(await position()).toMatchObject({ status: 'closed', close_reason: 'close' });
    expect(sim.openOrders()).toEqual([]);
    const [close] = await audits('LIVE_POSITION_CLOSE');
    expect(close!.details.reason).toMatch(/time stop: 2 bars/);
  });

  it('a rung filled before the time stop turns it off', async () => {
    await enter({ ...ladder, breakeven_after_tp: null, time_stop_bars: 2 });
    sim.setPrice('BTC/USDT', 61_500);
    const asOf = liveOrder(run_id).as_of.getTime();
    expect((await supervise(new Date(asOf + 5 * H)))[0]).toMatchObject({ action: 'watched', fills_booked: 1 });
    expect((await position()).status).toBe('open');
    expect(stopsOnExchange()).toEqual([[0.005, 59_000, 58_705]]);
  });
});
