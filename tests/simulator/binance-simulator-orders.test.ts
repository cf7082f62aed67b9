/**
 * The Binance spot simulator's account, orders and matching as the real ccxt 4.5.84 sees
 * them: fills and fees parsed by ccxt, balances moved and locked like Binance's.
 */
import type { binance as BinanceClass } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator, type FeeSchedule } from '../../simulator/binance-simulator.ts';
import { binanceSignedAt, rejectionOf, simBtcMarket } from './fixtures.ts';

const T0 = Date.UTC(2026, 0, 1);
const S = 'BTC/USDT';

/** A protective SELL OCO on the whole 0.1 BTC: take-profit at 55,000, stop 45,000 limit 44,900. */
const sellOco = (id: string) => ({
  symbol: 'BTCUSDT',
  side: 'SELL',
  quantity: '0.1',
  aboveType: 'LIMIT_MAKER',
  abovePrice: '55000',
  aboveClientOrderId: `${id}-tp`,
  belowType: 'STOP_LOSS_LIMIT',
  belowStopPrice: '45000',
  belowPrice: '44900',
  belowTimeInForce: 'GTC',
  belowClientOrderId: `${id}-sl`,
  listClientOrderId: id,
});

describe('Binance simulator: orders through ccxt', () => {
  let sim: BinanceSimulator;
  let ex: BinanceClass;
  const start = async (opts: { fees?: FeeSchedule; balances?: Record<string, number> } = {}) => {
    sim = await startBinanceSimulator({
      markets: [simBtcMarket()],
      balances: opts.balances ?? { USDT: 10_000, BTC: 0.1 },
      now: () => T0,
      ...(opts.fees ? { fees: opts.fees } : {}),
    });
    ex = await binanceSignedAt(sim);
  };
  beforeEach(() => start());
  afterEach(() => sim.close());

  it('fills a market buy at the price, with ccxt reading the fee in the base asset, so the base credited is qty − fee', async () => {
    const o = await ex.createOrder(S, 'market', 'buy', 0.01, undefined, { clientOrderId: 'entry-1' });
    expect(o).toMatchObject({ status: 'closed', filled: 0.01, average: 50_000, cost: 500, clientOrderId: 'entry-1' });
    expect(o.fee).toEqual({ currency: 'BTC', cost: 0.00001 });
    const [t] = await ex.fetchMyTrades(S);
    expect(t).toMatchObject({ side: 'buy', price: 50_000, amount: 0.01, takerOrMaker: 'taker' });
    expect(t?.fee).toMatchObject({ currency: 'BTC', cost: 0.00001 });
    const b = await ex.fetchBalance();
    expect([b.USDT?.free, b.BTC?.free]).toEqual([9500, 0.10999]);
  });

  it('rests a limit order (found by client id, quote locked) and fills it as maker at its price when the price crosses', async () => {
    await ex.createOrder(S, 'limit', 'buy', 0.01, 49_000, { clientOrderId: 'dip' });
    expect((await ex.fetchOpenOrders(S)).map((o) => o.clientOrderId)).toEqual(['dip']);
    expect(sim.balances().USDT).toEqual({ free: 9510, locked: 490 });
    sim.setPrice(S, 48_500); // gaps through: a resting limit still gets its own price
    expect((await ex.fetchTicker(S)).last).toBe(48_500); // the ticker follows the matching price
    const o = await ex.fetchOrder('', S, { clientOrderId: 'dip' });
    expect(o).toMatchObject({ status: 'closed', filled: 0.01, average: 49_000 });
    expect(sim.balances().USDT).toEqual({ free: 9510, locked: 0 });
    expect((await ex.fetchMyTrades(S))[0]?.takerOrMaker).toBe('maker');
  });

  it('cancels an order and unlocks its balance; unknown orders are OrderNotFound (-2011 cancel, -2013 query)', async () => {
    const o = await ex.createOrder(S, 'limit', 'sell', 0.05, 60_000, { clientOrderId: 'tp' });
    expect(sim.balances().BTC).toEqual({ free: 0.05, locked: 0.05 });
    expect((await ex.cancelOrder(String(o.id), S)).status).toBe('canceled');
    expect(sim.balances().BTC).toEqual({ free: 0.1, locked: 0 });
    expect((await rejectionOf(ex.cancelOrder(String(o.id), S))).message).toContain('-2011');
    const missing = await rejectionOf(ex.fetchOrder('', S, { clientOrderId: 'never-sent' }));
    expect([missing.constructor.name, missing.message]).toEqual(['OrderNotFound', expect.stringContaining('-2013')]);
  });

  it.each([
    ['quote', { USDT: 9499.5, BTC: 0.11 }, 'USDT', 0.5],
    ['BNB', { USDT: 9500, BTC: 0.11, BNB: 0.99916667 }, 'BNB', 0.00083333],
  ] as const)('charges the commission in %s when configured', async (asset, after, feeAsset, feeCost) => {
    await sim.close();
    await start({ fees: { asset, bnbPrice: 600 }, balances: { USDT: 10_000, BTC: 0.1, BNB: 1 } });
    const o = await ex.createOrder(S, 'market', 'buy', 0.01);
    expect(o.fee).toEqual({ currency: feeAsset, cost: feeCost });
    const free = Object.fromEntries(Object.entries(sim.balances()).map(([k, v]) => [k, v.free]));
    expect(free).toMatchObject(after);
  });

  it('triggers a stop-loss-limit at its stop and fills it at the price', async () => {
    const sl = await ex.createOrder(S, 'limit', 'sell', 0.1, 47_000, { stopLossPrice: 47_500, clientOrderId: 'sl' });
    expect(sl).toMatchObject({ type: 'limit', status: 'open', triggerPrice: 47_500, price: 47_000 });
    sim.setPrice(S, 48_000);
    expect((await ex.fetchOrder(String(sl.id), S)).filled).toBe(0);
    sim.setPrice(S, 47_400);
    expect(await ex.fetchOrder(String(sl.id), S)).toMatchObject({ status: 'closed', filled: 0.1, average: 47_400 });
    expect(sim.balances().USDT?.free).toBe(10_000 + 4740 - 4.74);
  });

  it('leaves a stop-loss-limit open and unfilled when the price gaps past its limit, and fills it if the price comes back', async () => {
    const sl = await ex.createOrder(S, 'limit', 'sell', 0.1, 47_000, { stopLossPrice: 47_500 });
    sim.setPrice(S, 45_000);
    expect(await ex.fetchOrder(String(sl.id), S)).toMatchObject({ status: 'open', filled: 0 });
    expect(sim.balances().BTC).toEqual({ free: 0, locked: 0.1 });
    sim.setPrice(S, 47_100);
    expect(await ex.fetchOrder(String(sl.id), S)).toMatchObject({ status: 'closed', average: 47_000 });
  });

  it('runs an OCO list: the take-profit fills, the stop-loss leg expires, the list is done', async () => {
    const list = (await ex.privatePostOrderListOco(sellOco('oco-1'))) as {
      orderListId: number;
      orderReports: { status: string }[];
    };
    expect(list.orderReports.map((r) => r.status)).toEqual(['NEW', 'NEW']);
    expect(sim.balances().BTC).toEqual({ free: 0, locked: 0.1 });
    sim.setPrice(S, 55_010);
    expect((await ex.fetchOrder('', S, { clientOrderId: 'oco-1-tp' })).status).toBe('closed');
    expect((await ex.fetchOrder('', S, { clientOrderId: 'oco-1-sl' })).status).toBe('expired');
    const after = (await ex.privateGetOrderList({ orderListId: String(list.orderListId) })) as {
      listOrderStatus: string;
    };
    expect(after.listOrderStatus).toBe('ALL_DONE');
    expect(sim.balances().BTC).toEqual({ free: 0, locked: 0 });
    expect(sim.balances().USDT?.free).toBe(10_000 + 5500 - 5.5);
  });

  it('cancels a whole OCO list when one leg is cancelled, and returns its single lock', async () => {
    await ex.privatePostOrderListOco(sellOco('oco-2'));
    expect(((await ex.privateGetOpenOrderList()) as unknown[]).length).toBe(1);
    const sl = sim.openOrders().find((o) => o.type === 'STOP_LOSS_LIMIT');
    await ex.cancelOrder(String(sl?.orderId), S);
    expect((await ex.fetchOrders(S)).map((o) => o.status)).toEqual(['canceled', 'canceled']);
    expect(await ex.privateGetOpenOrderList()).toEqual([]);
    expect(sim.balances().BTC).toEqual({ free: 0.1, locked: 0 });
    const again = await rejectionOf(ex.privateDeleteOrderList({ symbol: 'BTCUSDT', listClientOrderId: 'oco-2' }));
    expect(again.message).toContain('-2011');
  });

  it("cancels all of a symbol's open orders and OCO lists at once (cancelAllOrders), unlocking everything", async () => {
    await ex.privatePostOrderListOco({ ...sellOco('oco-3'), quantity: '0.06' });
    await ex.createOrder(S, 'limit', 'sell', 0.04, 60_000);
    await ex.createOrder(S, 'limit', 'buy', 0.01, 40_000);
    expect(await ex.cancelAllOrders(S)).toHaveLength(3); // one entry for the list, one per single order
    expect(sim.openOrders()).toEqual([]);
    expect(sim.balances()).toMatchObject({ BTC: { free: 0.1, locked: 0 }, USDT: { free: 10_000, locked: 0 } });
    expect((await rejectionOf(ex.cancelAllOrders(S))).message).toContain('-2011');
  });

  it('fills in parts when liquidity is short: a market order walks the price, a resting limit fills per price move, IOC keeps the part, FOK nothing', async () => {
    sim.setLiquidity(S, 0.004);
    const m = await ex.createOrder(S, 'market', 'buy', 0.01);
    expect(m.trades.map((t) => [t.price, t.amount])).toEqual([
      [50_000, 0.004],
      [50_000.01, 0.004],
      [50_000.02, 0.002],
    ]);
    const l = await ex.createOrder(S, 'limit', 'sell', 0.01, 51_000);
    sim.setPrice(S, 51_000);
    expect(await ex.fetchOrder(String(l.id), S)).toMatchObject({ status: 'open', filled: 0.004, remaining: 0.006 });
    sim.setPrice(S, 51_050);
    sim.setPrice(S, 51_100);
    expect(await ex.fetchOrder(String(l.id), S)).toMatchObject({ status: 'closed', filled: 0.01 });
    const ioc = await ex.createOrder(S, 'limit', 'buy', 0.01, 51_100, { timeInForce: 'IOC' });
    expect([ioc.status, ioc.filled]).toEqual(['expired', 0.004]);
    const fok = await ex.createOrder(S, 'limit', 'buy', 0.01, 51_100, { timeInForce: 'FOK' });
    expect([fok.status, fok.filled]).toEqual(['expired', 0]);
  });

  it('refuses orders like Binance: filters (-1013), balance and duplicate client ids (-2010)', async () => {
    const small = await rejectionOf(ex.createOrder(S, 'limit', 'buy', 0.00001, 40_000));
    expect(small.message).toContain('Filter failure: NOTIONAL');
    const tick = await rejectionOf(
      ex.privatePostOrder({
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '0.001',
        price: '40000.001',
      }),
    );
    expect([tick.constructor.name, tick.message]).toEqual(['InvalidOrder', expect.stringContaining('PRICE_FILTER')]);
    const broke = await rejectionOf(ex.createOrder(S, 'limit', 'buy', 1, 40_000));
    expect(broke.constructor.name).toBe('InsufficientFunds');
    await ex.createOrder(S, 'limit', 'buy', 0.01, 40_000, { clientOrderId: 'same' });
    const dup = await rejectionOf(ex.createOrder(S, 'limit', 'buy', 0.01, 40_000, { clientOrderId: 'same' }));
    expect([dup.constructor.name, dup.message]).toEqual([
      'InvalidOrder',
      expect.stringContaining('Duplicate order sent.'),
    ]);
    expect(sim.openOrders()).toHaveLength(1);
  });

  it('shows orders placed by hand on the website to the API, and a manual market close sells the position', async () => {
    await ex.createOrder(S, 'limit', 'sell', 0.05, 60_000, { clientOrderId: 'bot-tp' });
    const manual = sim.website.placeOrder({
      symbol: S,
      side: 'BUY',
      type: 'LIMIT',
      quantity: 0.01,
      price: 45_000,
      timeInForce: 'GTC',
    });
    expect((await ex.fetchOpenOrders(S)).map((o) => o.clientOrderId)).toEqual(['bot-tp', manual.clientOrderId]);
    expect(manual.clientOrderId).toMatch(/^web_/);
    const close = sim.website.marketClose(S);
    expect(close).toMatchObject({ status: 'FILLED', origQty: 0.1 });
    expect(await ex.fetchOpenOrders(S)).toEqual([]);
    expect((await ex.fetchOrder('', S, { clientOrderId: 'bot-tp' })).status).toBe('canceled');
    expect(sim.balances().BTC).toEqual({ free: 0, locked: 0 });
  });

  it('replays candles through their lows and highs, so a stop inside a candle triggers', async () => {
    await ex.createOrder(S, 'limit', 'sell', 0.1, 48_000, { stopLossPrice: 48_500 });
    const trades = sim.replayCandles(S, [
      { ts: T0, open: 50_000, high: 50_500, low: 48_400, close: 50_200, volume: 1 },
    ]);
    expect(trades.map((t) => [t.price, t.qty])).toEqual([[48_400, 0.1]]);
  });
});
