import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TraderError } from '../../core/errors.ts';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { closeLiveByUser, describeUserClose } from '../../trading/live/close-by-user-live.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { liveDb, liveOrder, simPort, startSim } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const run_id = '00000000-0000-4000-8000-0000000000c7';

/**
 * `trader live close`'s use case against the Binance simulator through the real ccxt, on
 * both backends: a position protected by an OCO on the exchange is closed by the user.
 */
describe.each(backends)('a LIVE position closed by the user (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let broker: LiveBroker;
  let opened: number;
  let confirmed: boolean;
  const options = () => ({
    ask: { confirm: async () => confirmed },
    openBroker: async () => {
      opened++;
      return broker;
    },
  });
  const close = (id: number) => closeLiveByUser(db, id, options());
  const refusal = (id: number) =>
    close(id).then(
      () => expect.fail('the close was not refused'),
      (e: TraderError) => e,
    );
  const position = async () =>
    (
      await db.query<{ position_id: number; status: string; close_reason: string | null; fees_paid: string }>(
        'select * from trading_live.positions order by position_id',
      )
    )[0]!;
  const requests = () =>
    db.query<{ action_type: string; status: string; actor: string; details: Record<string, unknown> }>(
      "select action_type, status, actor, details from audit_trail where action_type like 'POSITION_CLOSE_REQUEST%' order by seq",
    );
  const marketSells = () => sim.orders().filter((o) => o.type === 'MARKET' && o.side === 'SELL');

  beforeEach(async () => {
    db = await liveDb(kind, run_id);
    ({ sim } = await startSim());
    broker = await liveBrokerFor(db, { port: await simPort(sim) });
    opened = 0;
    confirmed = true;
    // Bought 0.01 BTC at 60 000 (fee 0.00001 BTC), an OCO (target 62 000, stop 59 000) on 0.00999.
    const queued = await tradingTx(db, scope, (tx) =>
      broker.open(tx, liveOrder(run_id, { as_of: new Date(Date.UTC(2026, 11, 3, 16)) })),
    );
    if (!queued.ok) throw new Error(queued.message);
    expect((await broker.send(db, queued.client_order_id)).protection).not.toBeNull();
    expect(sim.openOrders().map((o) => o.type)).toEqual(['LIMIT_MAKER', 'STOP_LOSS_LIMIT']);
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });

  it('cancels the OCO on the exchange, sells the open quantity at market, books the real fees, audited; a second call sends nothing', async () => {
    sim.setPrice('BTC/USDT', 61_000);
    const { position_id } = await position();
    const r = await close(position_id);

    expect(sim.openOrders()).toEqual([]);
    expect(
      sim
        .orders()
        .filter((o) => o.orderListId !== -1)
        .map((o) => o.status),
    ).toEqual(['CANCELED', 'CANCELED']);
    expect(marketSells().map((o) => [o.origQty, o.status])).toEqual([[0.00999, 'FILLED']]);
    expect(sim.balances().BTC?.free ?? 0).toBe(0);
    // Realised (61 000 - 60 000) x 0.00999; the sell's fee 0.1% in USDT, the entry's 0.00001 BTC at 60 000.
    expect(r).toMatchObject({
      position_id,
      outcome: 'closed',
      sold_qty: 0.00999,
      avg_price: expect.closeTo(61_000, 6),
      dust_qty: null,
    });
    expect(r.fills).toEqual([
      { kind: 'close', qty: 0.00999, price: 61_000, fee: expect.closeTo(0.60939, 8), fee_asset: 'USDT' },
    ]);
    expect(r.realized_pnl).toBeCloseTo(9.99, 8);
    expect(r.fees_paid).toBeCloseTo(0.6 + 0.60939, 8);
    expect(r.net_pnl).toBeCloseTo(9.99 - 1.20939, 8);
    expect(describeUserClose(r)).toBe(
      `Closed LIVE position ${position_id} on binance: sold 0.00999 BTC/USDT at an average 61000 (close 0.00999 at 61000), fees 0.60939 USDT; realised P&L +9.99 USDT before fees, +8.78 after all its fees (1.21 USDT).`,
    );
    expect(await position()).toMatchObject({ status: 'closed', close_reason: 'close' });
    const [wallet] = await db.query<{ balance: string }>(
      "select balance from trading_live.wallets where asset = 'USDT'",
    );
    expect(Number(wallet!.balance)).toBeCloseTo(sim.balances().USDT!.free, 8);
    expect(await requests()).toEqual([
      {
        action_type: 'POSITION_CLOSE_REQUESTED',
        status: 'SUCCESS',
        actor: 'USER',
        details: expect.objectContaining({ position_id, symbol: 'BTC/USDT', outcome: 'closed', sold_qty: 0.00999 }),
      },
    ]);

    // Already closed: refused before anything is asked, opened or sent.
    const before = sim.requests.length;
    const again = await refusal(position_id);
    expect([again.code, again.message]).toEqual([
      'NOT_FOUND',
      expect.stringMatching(new RegExp(`^LIVE position ${position_id} \\(BTC/USDT\\) is already closed \\(close at `)),
    ]);
    expect((await refusal(999)).message).toBe(
      'There is no LIVE position 999; list the open ones with `TRADER_SYSTEM_MODE=LIVE trader positions`.',
    );
    expect(sim.requests.length).toBe(before);
    expect(marketSells()).toHaveLength(1);
    expect(opened).toBe(1);
  });

  it('an exchange that fails the cancel leaves the position open and protected, said and audited; the retry closes it', async () => {
    const { position_id } = await position();
    const fault = sim.faults.serverError(503, { path: '/api/v3/order', method: 'DELETE' });
    const e = await refusal(position_id);
    expect(e.code).toBe('TRANSIENT');
    expect(e.message).toMatch(
      /could not be cancelled .*; LIVE position \d+ stays open, protected: its stop is still on the exchange\. Try again with `trader live close \d+`\.$/,
    );
    expect(await position()).toMatchObject({ status: 'open' });
    expect(sim.openOrders().map((o) => o.type)).toEqual(['LIMIT_MAKER', 'STOP_LOSS_LIMIT']);
    expect(marketSells()).toEqual([]);
    expect(await requests()).toEqual([
      expect.objectContaining({
        status: 'FAILURE',
        actor: 'USER',
        details: expect.objectContaining({ reason: e.message }),
      }),
    ]);

    fault.clear();
    expect(await close(position_id)).toMatchObject({ outcome: 'closed', sold_qty: 0.00999 });
    expect(sim.openOrders()).toEqual([]);
  });

  it('a declined confirmation opens no keys and sends nothing', async () => {
    confirmed = false;
    const before = sim.requests.length;
    const e = await refusal((await position()).position_id);
    expect([e.code, e.message]).toEqual([
      'BAD_INPUT',
      expect.stringMatching(/^You did not confirm; LIVE position \d+ stays open\.$/),
    ]);
    expect([opened, sim.requests.length]).toEqual([0, before]);
    expect((await requests()).map((a) => [a.action_type, a.status])).toEqual([['POSITION_CLOSE_REQUEST', 'REJECTED']]);
  });
});
