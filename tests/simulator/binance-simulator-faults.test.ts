/**
 * The simulator's signed-endpoint security and switchable faults as the real ccxt 4.5.84
 * sees them (the rows of simulator/README.md's table), and whether the order exists after.
 */
import type { binance as BinanceClass } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binanceRejections, startBinanceSimulator, type BinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { FaultScope } from '../../simulator/faults.ts';
import { binanceSignedAt, rejectionOf, simBtcMarket } from './fixtures.ts';

const T0 = Date.UTC(2026, 0, 1);
const S = 'BTC/USDT';
const POST_ORDER: FaultScope = { path: '/api/v3/order', method: 'POST', times: 1 };

describe('Binance simulator: security and faults through ccxt', () => {
  let sim: BinanceSimulator;
  let ex: BinanceClass;
  beforeEach(async () => {
    sim = await startBinanceSimulator({ markets: [simBtcMarket()], balances: { USDT: 10_000 }, now: () => T0 });
    ex = await binanceSignedAt(sim, { timeout: 500 });
    await ex.loadMarkets();
  });
  afterEach(() => sim.close());

  const buy = (clientOrderId: string) => ex.createOrder(S, 'limit', 'buy', 0.001, 40_000, { clientOrderId });

  it.each([
    ['a wrong secret', { secret: 'not-the-secret' }, 'AuthenticationError', '-1022'],
    ['an unknown API key', { apiKey: 'someone-else' }, 'AuthenticationError', '-2015'],
    ['a clock 5 s ahead of the server', { milliseconds: () => T0 + 5000 }, 'InvalidNonce', '-1021'],
    ['a clock 11 s behind (ccxt recvWindow 10 s)', { milliseconds: () => T0 - 11_000 }, 'InvalidNonce', '-1021'],
  ])('refuses a signed request with %s', async (_label, creds, errorClass, code) => {
    const other = await binanceSignedAt(sim, creds);
    const e = await rejectionOf(other.fetchBalance());
    expect([e.constructor.name, e.message]).toEqual([errorClass, expect.stringContaining(code)]);
  });

  it('recovers from clock skew (-1021) once ccxt resyncs its time difference with the server', async () => {
    sim.faults.clockSkew(30_000);
    expect((await rejectionOf(ex.fetchBalance())).constructor.name).toBe('InvalidNonce');
    await ex.loadTimeDifference();
    expect((await ex.fetchBalance()).USDT?.free).toBe(10_000);
  });

  it.each([
    ['5xx (gateway)', () => sim.faults.serverError(503, POST_ORDER), 'ExchangeNotAvailable'],
    [
      '5xx with -1000',
      () => sim.faults.serverError(500, POST_ORDER, JSON.stringify(binanceRejections.unknownError)),
      'OperationFailed',
    ],
    ['429 + Retry-After', () => sim.faults.rateLimit(3, POST_ORDER), 'DDoSProtection'],
    [
      '-2010 insufficient balance',
      () => sim.faults.reject(400, binanceRejections.insufficientBalance, POST_ORDER),
      'InsufficientFunds',
    ],
    ['a hang before the order is taken', () => sim.faults.hang(POST_ORDER), 'RequestTimeout'],
    ['a dropped connection', () => sim.faults.reset(POST_ORDER), 'NetworkError'],
  ])('answers a new order with %s: ccxt throws and no order exists', async (_label, arm, errorClass) => {
    arm();
    expect((await rejectionOf(buy('f-1'))).constructor.name).toBe(errorClass);
    expect((await rejectionOf(ex.fetchOrder('', S, { clientOrderId: 'f-1' }))).constructor.name).toBe('OrderNotFound');
    expect(sim.orderPosts('f-1')).toBe(1);
  });

  it('times out AFTER accepting an order: ccxt throws RequestTimeout yet the order exists, found by its client id', async () => {
    sim.faults.dropResponse(POST_ORDER);
    expect((await rejectionOf(buy('ambiguous'))).constructor.name).toBe('RequestTimeout');
    expect((await ex.fetchOrder('', S, { clientOrderId: 'ambiguous' })).status).toBe('open');
    expect(sim.orderPosts('ambiguous')).toBe(1);
  });

  it('sends a malformed body for an accepted order: ccxt throws a TypeError, not a ccxt error, and the order exists', async () => {
    sim.faults.malformedJson(POST_ORDER);
    expect((await rejectionOf(buy('garbled'))).constructor.name).toBe('TypeError');
    expect(sim.openOrders().map((o) => o.clientOrderId)).toEqual(['garbled']);
  });

  it('fills late: an accepted market order stays open until queried twice, or until the next price move', async () => {
    sim.lateFills({ queries: 2 });
    const o = await ex.createOrder(S, 'market', 'buy', 0.001, undefined, { clientOrderId: 'late-1' });
    expect([o.status, o.filled]).toEqual(['open', 0]);
    expect((await ex.fetchOrder(String(o.id), S)).status).toBe('open');
    expect(await ex.fetchOrder(String(o.id), S)).toMatchObject({ status: 'closed', filled: 0.001 });
    sim.lateFills({ priceSteps: 1 });
    const p = await ex.createOrder(S, 'market', 'buy', 0.001);
    sim.setPrice(S, 50_100);
    expect(await ex.fetchOrder(String(p.id), S)).toMatchObject({ status: 'closed', average: 50_100 });
  });
});
