/**
 * Each stand-in fault as the REAL ccxt binance client sees it (the error class it throws),
 * plus scoping (path prefix, times, clear) and the request log.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceStandIn, type BinanceStandIn } from '../../simulator/binance-stand-in.ts';
import { binanceAt, loadCcxt, rejectionOf, sampleMarkets, type Ccxt } from './fixtures.ts';

const NOW = Date.UTC(2024, 5, 1, 12, 30);
let ccxt: Ccxt;
let standIn: BinanceStandIn | undefined;

async function start(): Promise<BinanceStandIn> {
  standIn = await startBinanceStandIn({ markets: sampleMarkets(), now: () => NOW });
  return standIn;
}

beforeAll(async () => {
  ccxt = await loadCcxt();
});
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe('faults through ccxt binance', () => {
  it('429 with Retry-After -> DDoSProtection (binance maps 418 and 429 alike), then recovers', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const h = s.faults.rateLimit(7, { times: 1 });
    const e = await rejectionOf(ex.fetchTime());
    expect(e.constructor).toBe(ccxt.DDoSProtection);
    expect(e).toBeInstanceOf(ccxt.NetworkError);
    expect(e).not.toBeInstanceOf(ccxt.RateLimitExceeded);
    expect(e.message).toContain('-1003');
    expect(h.hits).toBe(1);
    expect(await ex.fetchTime()).toBe(NOW);
    expect(s.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(s.requests[0]!.faults).toEqual(['rateLimit']);
    s.faults.rateLimit(7, { times: 1 });
    const raw = await fetch(`${s.url}/api/v3/time`);
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(await raw.json()).toMatchObject({ code: -1003 });
  });

  it('418 with Retry-After -> DDoSProtection', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    s.faults.ban(120, { times: 1 });
    expect((await rejectionOf(ex.fetchTime())).constructor).toBe(ccxt.DDoSProtection);
    s.faults.ban(120, { times: 1 });
    const raw = await fetch(`${s.url}/api/v3/time`);
    expect([raw.status, raw.headers.get('retry-after')]).toEqual([418, '120']);
  });

  it('500/502/503 -> ExchangeNotAvailable, 504 -> RequestTimeout, JSON -1001 body -> OperationFailed', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    for (const status of [500, 502, 503] as const) {
      s.faults.serverError(status, { times: 1 });
      expect((await rejectionOf(ex.fetchTime())).constructor).toBe(ccxt.ExchangeNotAvailable);
    }
    s.faults.serverError(504, { times: 1 });
    expect((await rejectionOf(ex.fetchTime())).constructor).toBe(ccxt.RequestTimeout);
    s.faults.serverError(
      500,
      { times: 1 },
      JSON.stringify({ code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }),
    );
    const e = await rejectionOf(ex.fetchTime());
    expect(e.constructor).toBe(ccxt.OperationFailed); // not a NetworkError
    expect(e).not.toBeInstanceOf(ccxt.NetworkError);
    expect(s.requests.map((r) => r.status)).toEqual([500, 502, 503, 504, 500]);
  });

  it('hang -> RequestTimeout after the client timeout', async () => {
    const s = await start();
    const ex = await binanceAt(s.url, { timeout: 300 });
    s.faults.hang({ times: 1 });
    const t0 = Date.now();
    const e = await rejectionOf(ex.fetchTime());
    expect(e.constructor).toBe(ccxt.RequestTimeout);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(s.requests[0]).toMatchObject({ path: '/api/v3/time', status: null, faults: ['hang'] });
    expect(await ex.fetchTime()).toBe(NOW);
  });

  it('connection reset -> NetworkError (exactly)', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    s.faults.reset({ times: 1 });
    const e = await rejectionOf(ex.fetchTime());
    expect(e.constructor).toBe(ccxt.NetworkError);
    expect(await ex.fetchTime()).toBe(NOW);
  });

  it('malformed JSON (200, truncated body): ccxt mostly does NOT throw - callers must validate', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    await ex.loadMarkets();
    s.faults.malformedJson({ times: 1 });
    expect(await ex.fetchTime()).toBeUndefined();
    s.faults.malformedJson({ times: 1 });
    const rows = await ex.fetchOHLCV('BTC/USDT', '1h', undefined, 4);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.every((v) => v === undefined))).toBe(true); // rows of undefined (null in JSON)
    s.faults.malformedJson({ times: 1 });
    expect((await rejectionOf(ex.fetchTicker('BTC/USDT'))).constructor).toBe(TypeError);
    s.faults.malformedJson({ times: 1 });
    expect(await ex.loadMarkets(true)).toEqual({}); // and the instance's markets are wiped
    const raw = await ex.loadMarkets(true);
    expect(Object.keys(raw)).toHaveLength(2);
  });

  it('latency delays the answer', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    s.faults.latency(200, { path: '/api/v3/time', times: 1 });
    const t0 = Date.now();
    expect(await ex.fetchTime()).toBe(NOW);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(s.requests[0]!.faults).toEqual(['latency']);
  });

  it('short page: klines return half the rows although more exist; other paths unaffected', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    await ex.loadMarkets();
    const h = s.faults.shortPage({ times: 1 });
    expect(await ex.fetchTime()).toBe(NOW); // not a paged route: not consumed
    expect(h.remaining).toBe(1);
    const since = Date.UTC(2024, 0, 2);
    expect(await ex.fetchOHLCV('BTC/USDT', '1h', since, 1000)).toHaveLength(500);
    expect(await ex.fetchOHLCV('BTC/USDT', '1h', since, 1000)).toHaveLength(1000);
    expect(h.hits).toBe(1);
  });

  it('clock skew offsets /time, exchangeInfo serverTime and the Date header until cleared', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const h = s.faults.clockSkew(-5000);
    expect(await ex.fetchTime()).toBe(NOW - 5000);
    const raw = await fetch(`${s.url}/api/v3/exchangeInfo`);
    expect(((await raw.json()) as { serverTime: number }).serverTime).toBe(NOW - 5000);
    expect(Date.parse(raw.headers.get('date')!)).toBe(Math.floor((NOW - 5000) / 1000) * 1000);
    h.clear();
    expect(await ex.fetchTime()).toBe(NOW);
  });

  it('path prefix scoping, times countdown, first terminal fault wins, clear()', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    await ex.loadMarkets();
    s.faults.serverError(503, { path: '/api/v3/klines', times: 2 });
    s.faults.rateLimit(1, { path: '/api/v3/klines' });
    expect(await ex.fetchTime()).toBe(NOW);
    expect((await rejectionOf(ex.fetchOHLCV('BTC/USDT', '1h'))).constructor).toBe(ccxt.ExchangeNotAvailable);
    expect((await rejectionOf(ex.fetchOHLCV('BTC/USDT', '1h'))).constructor).toBe(ccxt.ExchangeNotAvailable);
    expect((await rejectionOf(ex.fetchOHLCV('BTC/USDT', '1h'))).constructor).toBe(ccxt.DDoSProtection);
    expect(s.faults.active()).toHaveLength(1);
    s.faults.clear();
    expect(await ex.fetchOHLCV('BTC/USDT', '1h', undefined, 2)).toHaveLength(2);
    expect(s.requests.filter((r) => r.path === '/api/v3/klines').map((r) => r.status)).toEqual([503, 503, 429, 200]);
  });
});
