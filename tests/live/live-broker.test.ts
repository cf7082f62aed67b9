import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upsertCandles } from '../../market/candles-repo.ts';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { OpenOrder } from '../../trading/broker.ts';
import { actOnIntents, type IntentSource } from '../../trading/engine/act-on-intents.ts';
import { recordFirstLiveApproval } from '../../trading/live-account/first-order.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { STOP_LIMIT_OFFSET_PCT } from '../../trading/live/protection-plan.ts';
import { findOrder, recordExchangeAnswer } from '../../trading/live/orders-repo.ts';
import { approveProposal } from '../../trading/proposals/review-proposal.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { sendRecordedEntries } from '../../engine/run/live-run.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { btcIntent, liveBrokerOnSim, liveOrder } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const H = 3_600_000;
const run_id = '00000000-0000-4000-8000-0000000000b1';

const order = (over: Partial<OpenOrder> = {}): OpenOrder => liveOrder(run_id, over);

/**
 * The live broker against the Binance simulator through the real ccxt, on both backends:
 * the entry, its fills booked with real fees, its protection on the exchange, and what
 * happens to the position afterwards, with the exchange's balances equal to the database's.
 */
describe.each(backends)('the live broker (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let broker: LiveBroker;
  let close: () => Promise<void>;
  beforeEach(async () => {
    // The LIVE account as `trader live init` leaves it (10 000 USDT), in Full-Auto.
    ({ db, sim, broker, close } = await liveBrokerOnSim(kind, run_id));
  });
  afterEach(() => close());

  const q = <T>(sql: string, params: unknown[] = []) => db.query<T>(sql, params);
  const position = async () =>
    (
      await q<{
        position_id: number;
        qty: string;
        open_qty: string;
        status: string;
        close_reason: string | null;
        strategy_version: number | null;
        entry_price: string;
      }>('select * from trading_live.positions order by position_id')
    )[0];
  const trades = () =>
    q<{ kind: string; qty: string; fee: string; fee_asset: string }>(
      'select * from trading_live.trades order by trade_id',
    );
  const audits = async (like: string) =>
    (
      await q<{ action_type: string }>(`select action_type from audit_trail where action_type like $1 order by seq`, [
        like,
      ])
    ).map((r) => r.action_type);
  /** Every asset the exchange holds (free + locked) is what the database's wallets hold, fees included. */
  async function expectBalancesMatch() {
    const wallets = await q<{ asset: string; balance: string }>('select asset, balance from trading_live.wallets');
    const onExchange = sim.balances();
    for (const asset of new Set([...Object.keys(onExchange), ...wallets.map((w) => w.asset)])) {
      const b = onExchange[asset];
      const exchangeTotal = b ? b.free + b.locked : 0;
      const dbTotal = Number(wallets.find((w) => w.asset === asset)?.balance ?? 0);
      expect([asset, dbTotal]).toEqual([asset, expect.closeTo(exchangeTotal, 8)]);
    }
  }
  async function enter(over: Partial<OpenOrder> = {}) {
    const queued = await tradingTx(db, scope, (tx) => broker.open(tx, order(over)));
    if (!queued.ok) throw new Error(queued.message);
    return broker.send(db, queued.client_order_id);
  }

  it('an entry fills at market, its base-asset fee lowers the position, and an OCO protects all of it', async () => {
    const sent = await enter();
    expect(sent).toMatchObject({ reason: null, order: { state: 'FILLED', role: 'entry', filled_qty: 0.01 } });
    // Binance's default commission on a buy is in the base asset: 0.1% of 0.01 BTC.
    const [entry] = await trades();
    expect(entry).toMatchObject({ kind: 'entry', fee_asset: 'BTC' });
    expect(Number(entry!.fee)).toBeCloseTo(0.00001, 10);
    const pos = await position();
    expect(Number(pos!.qty)).toBeCloseTo(0.00999, 10);
    expect(Number(pos!.open_qty)).toBeCloseTo(0.00999, 10);
    expect(Number(pos!.entry_price)).toBe(60_000);
    // One OCO list: take-profit at 62 000 and stop 59 000 with its limit the documented offset below.
    expect(STOP_LIMIT_OFFSET_PCT).toBe(0.5);
    const [list] = sim.orderLists();
    expect(sim.orderLists()).toHaveLength(1);
    const legs = sim.orders().filter((o) => o.orderListId === list!.orderListId);
    expect(legs.map((o) => [o.type, o.origQty, o.price, o.stopPrice])).toEqual([
      ['LIMIT_MAKER', 0.00999, 62_000, 0],
      ['STOP_LOSS_LIMIT', 0.00999, 58_705, 59_000],
    ]);
    const roles = await q<{ role: string; state: string }>(
      "select role, state from trading_live.orders where role <> 'entry' order by role",
    );
    expect(roles).toEqual([
      { role: 'stop', state: 'NEW' },
      { role: 'take_profit', state: 'NEW' },
    ]);
    await expectBalancesMatch();
  });

  it('with require_jit_checks off (the LIVE settings) the entry goes without a balance query', async () => {
    await q('update trading_live.state set require_jit_checks = false');
    const sent = await enter();
    expect(sent).toMatchObject({ reason: null, order: { state: 'FILLED' } });
    // On (the default), the just-in-time checks ask /api/v3/account once before the entry.
    expect(sim.requests.filter((r) => r.path === '/api/v3/account')).toEqual([]);
  });

  it('a fill booked twice is booked once (the exchange trade id)', async () => {
    await enter();
    // Recovery looks the resting stop and target up; supervision asks again: nothing new to book.
    await broker.recover(db);
    await broker.supervise(db, { now: new Date(), run_id: null });
    expect(await trades()).toHaveLength(1);
    await expectBalancesMatch();
  });

  it('a stop hit on the exchange is booked at the next supervision, with its real fee', async () => {
    await enter();
    sim.setPrice('BTC/USDT', 58_900); // triggers 59 000; the limit 58 705 is still marketable
    const [report] = await broker.supervise(db, { now: new Date(), run_id: null });
    expect(report).toMatchObject({ action: 'closed_by_exchange', fills_booked: 1 });
    expect(await position()).toMatchObject({ status: 'closed', close_reason: 'stop_loss' });
    expect((await trades()).map((t) => [t.kind, t.fee_asset])).toEqual([
      ['entry', 'BTC'],
      ['stop_loss', 'USDT'],
    ]);
    expect(sim.openOrders()).toEqual([]);
    await expectBalancesMatch();
  });

  it('a stop that gapped past its limit is cancelled and the position sold at market, audited', async () => {
    await enter();
    sim.setPrice('BTC/USDT', 58_000); // below the stop's limit: triggered, open, unfilled
    expect(sim.openOrders().map((o) => o.type)).toEqual(['STOP_LOSS_LIMIT']);
    const [report] = await broker.supervise(db, { now: new Date(), run_id: null });
    expect(report).toMatchObject({ action: 'gapped_stop_closed' });
    expect(await position()).toMatchObject({ status: 'closed', close_reason: 'close' });
    expect(sim.openOrders()).toEqual([]);
    expect(await audits('LIVE_%')).toEqual(['LIVE_STOP_GAPPED', 'LIVE_POSITION_CLOSE']);
    await expectBalancesMatch();
  });

  it('close cancels the protection and sells what is left at market', async () => {
    await enter();
    const closed = await broker.close(db, (await position())!.position_id, {
      reason: 'user',
      ts: new Date(),
      run_id: null,
    });
    expect(closed.problem).toBeNull();
    expect(await position()).toMatchObject({ status: 'closed', close_reason: 'close' });
    expect(sim.openOrders()).toEqual([]);
    expect(sim.balances().BTC?.free ?? 0).toBe(0);
    await expectBalancesMatch();
  });

  it('a take-profit ladder gets one OCO per rung, the last taking what the first leaves', async () => {
    await enter({
      take_profits: [
        { price: 61_000, fraction: 0.5 },
        { price: 63_000, fraction: 0.5 },
      ],
    });
    const lists = sim.orderLists();
    expect(lists).toHaveLength(2);
    const qtyOf = (id: number) => sim.orders().find((o) => o.orderListId === id)!.origQty;
    expect(lists.map((l) => qtyOf(l.orderListId))).toEqual([0.00499, 0.005]);
    sim.setPrice('BTC/USDT', 61_500); // the first rung fills; its stop leg expires
    const [report] = await broker.supervise(db, { now: new Date(), run_id: null });
    expect(report).toMatchObject({ action: 'watched', fills_booked: 1 });
    const pos = await position();
    expect(pos).toMatchObject({ status: 'open' });
    expect(Number(pos!.open_qty)).toBeCloseTo(0.005, 10);
    await expectBalancesMatch();
  });

  it('an entry that filled only partly (the rest expired) is protected for what filled', async () => {
    const queued = await tradingTx(db, scope, (tx) => broker.open(tx, order()));
    if (!queued.ok) throw new Error(queued.message);
    const id = queued.client_order_id;
    // The exchange filled 0.004 of the 0.01 and expired the rest, fee in USDT: the account
    // holds what it bought, and the answer is recorded as it came.
    sim.setBalance('BTC', 0.004);
    sim.setBalance('USDT', 10_000 - 240 - 0.24);
    await tradingTx(db, scope, async (tx) => {
      const recorded = (await findOrder(tx, scope, id))!;
      await recordExchangeAnswer(
        tx,
        scope,
        recorded,
        {
          client_order_id: id,
          exchange_order_id: '77',
          state: 'EXPIRED',
          qty: 0.01,
          filled_qty: 0.004,
          avg_price: 60_000,
        },
        [{ trade_id: '9001', qty: 0.004, price: 60_000, fee: 0.24, fee_asset: 'USDT', ts: new Date() }],
      );
    });
    const sent = await broker.send(db, id);
    expect(sim.orderPosts(id)).toBe(0);
    expect(sent.reason).toBeNull();
    const pos = await position();
    expect(Number(pos!.qty)).toBe(0.004);
    const [list] = sim.orderLists();
    expect(
      sim
        .orders()
        .filter((o) => o.orderListId === list!.orderListId)
        .map((o) => o.origQty),
    ).toEqual([0.004, 0.004]);
    await expectBalancesMatch();
  });

  it('a halt between the decision and the send refuses the entry: nothing reaches the exchange', async () => {
    const queued = await tradingTx(db, scope, (tx) => broker.open(tx, order()));
    if (!queued.ok) throw new Error(queued.message);
    await db.query("update trading_live.state set halted = true, halt_reason = 'test', halted_at = now()");
    const sent = await broker.send(db, queued.client_order_id);
    expect(sent).toMatchObject({ position_id: null, order: { state: 'REJECTED' } });
    expect(sent.reason).toMatch(/halt/);
    expect(sim.orderPosts(queued.client_order_id)).toBe(0);
    expect(await audits('JIT_%')).toEqual(['JIT_CHECK_FAILURE']);
  });

  it('a sell intent is refused: spot cannot short', async () => {
    const r = await tradingTx(db, scope, (tx) =>
      broker.open(tx, order({ side: 'sell', stop: 61_000, take_profits: [] })),
    );
    expect(r).toMatchObject({ ok: false, reason: 'not_supported' });
  });

  describe('through the engine', () => {
    const source = (): IntentSource => ({
      exchange: 'binance',
      timeframe: '1h',
      category: 'major',
      run_id,
      strategy_id: 'trend',
      strategy_version: 4,
      as_of: order().as_of,
      live_broker: broker,
    });
    const intent = () => {
      const { exchange: _e, timeframe: _t, category: _c, ...rest } = btcIntent;
      return rest;
    };
    const act = () => tradingTx(db, scope, (tx) => actOnIntents(tx, scope, [intent()], source()));

    it("Full-Auto holds the pipeline's first live order, then sends the next ones straight", async () => {
      const [held] = await act();
      expect(held).toMatchObject({ action: 'proposed' });
      expect(sim.orders()).toEqual([]);
      await tradingTx(db, scope, (tx) =>
        recordFirstLiveApproval(tx, scope, { run_id, proposal_id: held!.proposal_id! }),
      );
      await db.query("update trading_live.proposals set status = 'rejected', decided_at = now()");
      const actions = await act();
      expect(actions[0]).toMatchObject({ action: 'sent' });
      const outcome = { symbol: 'BTC/USDT', actions } as Parameters<typeof sendRecordedEntries>[2];
      await sendRecordedEntries(db, broker, outcome, run_id);
      expect(actions[0]).toMatchObject({ action: 'executed', position_id: (await position())!.position_id });
      // The strategy version rides the order's plan to the position its fill opens (live feedback reads it).
      expect((await position())!.strategy_version).toBe(4);
      expect(sim.orderLists()).toHaveLength(1);
      await expectBalancesMatch();
    });

    it('Semi-Auto: approving a proposal sends the order and links the protected position', async () => {
      await db.query("update trading_live.state set operational_mode = 'semi_auto'");
      const [proposed] = await act();
      expect(proposed).toMatchObject({ action: 'proposed' });
      // The approval is priced at the newest cached close: 60 000, as the exchange's price.
      const now = new Date();
      const open = Math.floor(now.getTime() / H) * H - H;
      await upsertCandles(
        db,
        { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
        { ts: [open], open: [60_000], high: [60_000], low: [60_000], close: [60_000], volume: [1] },
      );
      const r = await approveProposal(db, scope, proposed!.proposal_id!, now, broker);
      const pos = await position();
      expect(r).toMatchObject({ status: 'approved', position_id: pos!.position_id });
      expect(pos!.strategy_version).toBe(4);
      expect(sim.orders().filter((o) => o.type === 'MARKET')).toHaveLength(1);
      expect(sim.orderLists()).toHaveLength(1);
      const [p] = await q<{ status: string; position_id: number }>(
        'select status, position_id from trading_live.proposals',
      );
      expect(p).toMatchObject({ status: 'approved', position_id: pos!.position_id });
      await expectBalancesMatch();
    });
  });
});
