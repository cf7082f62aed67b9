import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCandleSeries } from '../../market/candles-repo.ts';
import { classifierFor, openExchange } from '../../market/exchange/ccxt-loader.ts';
import { type FetchDeps, fetchCandles } from '../../market/exchange/fetch-candles.ts';
import { defaultRetryPolicy } from '../../market/exchange/retry.ts';
import { openExchangeSession } from '../../market/exchange/exchange-session.ts';
import { type Endpoint, localGate, requestCosts, withRateGate } from '../../market/exchange/rate-gate.ts';
import { sharedGate } from '../../market/exchange/rate-buckets-repo.ts';
import { type BinanceStandIn, startBinanceStandIn } from '../../simulator/binance-stand-in.ts';
import { sampleCandles, sampleMarkets } from '../simulator/fixtures.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

const H = 3_600_000;
const jan1 = Date.parse('2024-01-01T00:00:00Z');
const now = Date.parse('2024-01-10T12:30:00Z'); // the 12:00 candle is still open
const closedCount = 9 * 24 + 12; // 2024-01-01T00:00 .. 2024-01-10T11:00

describe.each(backends)('fetching candles through ccxt from the Binance stand-in on %s', (kind) => {
  let db: TestDb;
  let standIn: BinanceStandIn;
  let waits: number[];

  async function fetch(
    options: { since?: number; until?: number; symbol?: string; deps?: Partial<FetchDeps>; timeoutMs?: number } = {},
  ) {
    const ex = await openExchange('binance', { baseUrl: standIn.url, timeoutMs: options.timeoutMs ?? 2000 });
    const deps: FetchDeps = {
      policy: defaultRetryPolicy,
      classify: await classifierFor(ex),
      now: () => now,
      pageLimit: 100,
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.5,
      ...options.deps,
    };
    const req = {
      exchange: 'binance',
      symbol: options.symbol ?? 'BTC/USDT',
      timeframe: '1h',
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.until !== undefined ? { until: options.until } : {}),
    };
    return fetchCandles(db, ex, req, deps);
  }

  async function stored() {
    return loadCandleSeries(db, {
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      asOf: new Date(now + 365 * 24 * H),
      limit: 100_000,
    });
  }

  /** The sample's closed candles in [from, to). */
  function expected(from = jan1, to = now - H) {
    return sampleCandles('BTC').filter((c) => c.ts >= from && c.ts + H <= now && c.ts < to);
  }

  async function expectStoredEqualsSource() {
    const s = await stored();
    const want = expected();
    expect(s.ts).toEqual(want.map((c) => c.ts));
    expect(s.close).toEqual(want.map((c) => c.close));
    expect(s.high).toEqual(want.map((c) => c.high));
    expect(s.volume).toEqual(want.map((c) => c.volume));
  }

  beforeEach(async () => {
    db = await freshDb(kind);
    standIn = await startBinanceStandIn({ markets: sampleMarkets(), now: () => now });
    waits = [];
  });
  afterEach(async () => {
    await standIn.close();
    await db.dispose();
  });

  it('pages through the history and stores exactly the closed candles: no gap, no duplicate, no open candle', async () => {
    const r = await fetch({ since: jan1 });
    expect(r).toMatchObject({ stored: closedCount, pages: 3, from: jan1, last_ts: now - 30 * 60_000 - H });
    await expectStoredEqualsSource();
    const klines = standIn.requests.filter((q) => q.path === '/api/v3/klines');
    expect(klines.map((q) => Number(q.query.startTime))).toEqual([jan1, jan1 + 100 * H, jan1 + 200 * H]);
    expect(waits).toEqual([]);
  });

  it('resumes a killed fetch from the last stored candle and completes it exactly', async () => {
    let pages = 0;
    const killed = fetch({
      since: jan1,
      deps: {
        onPage: () => {
          if (++pages === 1) throw new Error('killed');
        },
      },
    });
    await expect(killed).rejects.toThrow('killed');
    expect((await stored()).ts).toHaveLength(100);
    standIn.requests.length = 0;
    const r = await fetch();
    expect(r).toMatchObject({ from: jan1 + 100 * H, stored: closedCount - 100 });
    expect(Number(standIn.requests.find((q) => q.path === '/api/v3/klines')!.query.startTime)).toBe(jan1 + 100 * H);
    await expectStoredEqualsSource();
  });

  it.each([
    [
      '429 with Retry-After',
      (s: BinanceStandIn) => s.faults.rateLimit(3, { path: '/api/v3/klines', times: 1 }),
      [3000],
    ],
    ['418 with Retry-After', (s: BinanceStandIn) => s.faults.ban(7, { path: '/api/v3/klines', times: 1 }), [7000]],
    ['two 503s', (s: BinanceStandIn) => s.faults.serverError(503, { path: '/api/v3/klines', times: 2 }), [250, 500]],
    ['a 504', (s: BinanceStandIn) => s.faults.serverError(504, { path: '/api/v3/klines', times: 1 }), [250]],
    ['a malformed page', (s: BinanceStandIn) => s.faults.malformedJson({ path: '/api/v3/klines', times: 1 }), [250]],
    [
      'malformed markets',
      (s: BinanceStandIn) => s.faults.malformedJson({ path: '/api/v3/exchangeInfo', times: 1 }),
      [250],
    ],
    ['a connection reset', (s: BinanceStandIn) => s.faults.reset({ path: '/api/v3/klines', times: 1 }), [250]],
    ['short pages', (s: BinanceStandIn) => s.faults.shortPage({ path: '/api/v3/klines' }), []],
  ])('survives %s and still stores exactly the source', async (_name, inject, expectedWaits) => {
    inject(standIn);
    await fetch({ since: jan1 });
    expect(waits).toEqual(expectedWaits);
    await expectStoredEqualsSource();
  });

  it('retries a request that hangs past the timeout', async () => {
    standIn.faults.hang({ path: '/api/v3/klines', times: 1 });
    await fetch({ since: jan1, timeoutMs: 300 });
    expect(waits).toEqual([250]);
    await expectStoredEqualsSource();
  });

  it('never stores a candle the exchange still considers open (its clock behind ours)', async () => {
    standIn.faults.clockSkew(-45 * 60_000);
    await fetch({ since: jan1 });
    const s = await stored();
    expect(s.ts.at(-1)).toBe(now - 30 * 60_000 - 2 * H); // 10:00; the 11:00 candle closes at 12:00, after the exchange's 11:45
  });

  it('gives up on persistent failure with one clear error and keeps what it stored', async () => {
    standIn.faults.serverError(500, { path: '/api/v3/klines' });
    await expect(fetch({ since: jan1 })).rejects.toThrow(
      /candles from 2024-01-01T00:00:00.000Z still failing after 5 attempts/,
    );
    expect(waits).toHaveLength(4);
    expect((await stored()).ts).toHaveLength(0);
  });

  it('refuses a page holding a candle with a zero price, naming it, and keeps the pages before it', async () => {
    await standIn.close();
    const bad = jan1 + 150 * H;
    const markets = sampleMarkets().map((m) => ({
      ...m,
      candles: new Map(
        [...m.candles].map(([tf, rows]) => [tf, rows.map((c) => (c.ts === bad ? { ...c, low: 0 } : c))]),
      ),
    }));
    standIn = await startBinanceStandIn({ markets, now: () => now });
    await expect(fetch({ since: jan1 })).rejects.toThrow(
      /candle 50 of the page opening 2024-01-07T06:00:00\.000Z is refused: prices must be positive/,
    );
    const s = await stored();
    expect(s.ts).toHaveLength(100);
    expect(s.ts.at(-1)).toBe(jan1 + 99 * H);
  });

  it('does not wait longer than the request budget allows', async () => {
    standIn.faults.rateLimit(120, { path: '/api/v3/klines' });
    await expect(fetch({ since: jan1 })).rejects.toThrow(/did not succeed within 60 s/);
    expect(waits).toEqual([]);
  });

  it("takes each request's weight from the shared bucket, and a Retry-After blocks every bucket of the exchange", async () => {
    await db.query(
      `update rate_buckets set capacity = 1000, tokens = 1000, refill_per_s = 1e-9, updated_at = now() where exchange = 'binance'`,
    );
    standIn.faults.rateLimit(3, { path: '/api/v3/klines', times: 1 });
    const blocked: string[][] = [];
    const gate = sharedGate(db, {
      batch: {},
      // Where a worker would sleep out the block, note who is blocked and lift it.
      sleep: async () => {
        const rows = await db.query<{ bucket: string }>(
          `select bucket from rate_buckets where exchange = 'binance' and blocked_until > now() order by bucket`,
        );
        blocked.push(rows.map((r) => r.bucket));
        await db.query(`update rate_buckets set blocked_until = null`);
      },
    });
    // The gate reaches fetches through the session opened in its scope, as in a worker.
    const env = { ...process.env, TRADER_EXCHANGE_URL_BINANCE: standIn.url };
    const session = await withRateGate(gate, () => openExchangeSession('binance', { env }));
    expect(session.gate).toBe(gate);
    expect((await openExchangeSession('binance', { env })).gate).toBe(localGate);

    await fetch({ since: jan1, deps: { gate: session.gate } });
    await expectStoredEqualsSource();
    expect(waits).toEqual([3000]);
    expect(blocked).toEqual([['orders', 'request_weight']]);
    const endpoint: Record<string, Endpoint> = {
      '/api/v3/exchangeInfo': 'exchangeInfo',
      '/api/v3/time': 'time',
      '/api/v3/klines': 'klines',
    };
    const cost = standIn.requests
      .map((r) => requestCosts('binance', endpoint[r.path]!).find((c) => c.bucket === 'request_weight')!.cost)
      .reduce((a, b) => a + b, 0);
    expect(cost).toBe(20 + 1 + 4 * 2); // markets, the server time, three pages and the one refused
    const [row] = await db.query<{ tokens: number }>(
      `select tokens from rate_buckets where exchange = 'binance' and bucket = 'request_weight'`,
    );
    expect(row!.tokens).toBeCloseTo(1000 - cost, 3);
  });

  it('refuses a symbol the exchange does not list, and an unknown exchange', async () => {
    await expect(fetch({ symbol: 'DOGE/USDT' })).rejects.toThrow(/DOGE\/USDT is not listed on binance \(spot\)/);
    await expect(openExchange('nosuchexchange')).rejects.toThrow(/Unknown exchange 'nosuchexchange'/);
  });
});
