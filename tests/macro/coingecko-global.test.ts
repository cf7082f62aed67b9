import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildMacroContext } from '../../market/macro/build-macro-context.ts';
import { coingeckoBaseUrl, fetchGlobalSnapshot, recordGlobalSnapshot } from '../../market/macro/coingecko-global.ts';
import type { Queryable } from '../../store/db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * A tiny stand-in for CoinGecko on 127.0.0.1 (random port): `GET /api/v3/global` answers
 * whatever the test put in `reply`. Real HTTP, so the provider's fetch, timeout and error
 * paths run exactly as against the real API.
 */
interface Reply {
  status: number;
  body: string;
  delayMs?: number;
}
let reply: Reply;
const requests: string[] = [];
let server: http.Server;
let baseUrl: string;

const updatedAt = 1709287200; // 2024-03-01T10:00:00Z
const goodBody = {
  data: {
    active_cryptocurrencies: 13690,
    markets: 1071,
    total_market_cap: { btc: 39_000_000, eth: 700_000_000, usd: 2_415_000_000_000 },
    total_volume: { usd: 95_000_000_000 },
    market_cap_percentage: { btc: 51.02, eth: 17.11, usdt: 4.07, bnb: 2.3, sol: 2.1 },
    market_cap_change_percentage_24h_usd: 1.8,
    updated_at: updatedAt,
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = () => {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body);
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const count = async (q: Queryable) =>
  (await q.query<{ n: number }>('select count(*)::int8 as n from macro_series'))[0]!.n;

describe('fetchGlobalSnapshot (local HTTP stand-in)', () => {
  it('asks GET /api/v3/global and converts the answer to points stamped at updated_at', async () => {
    reply = { status: 200, body: JSON.stringify(goodBody) };
    requests.length = 0;
    const snap = await fetchGlobalSnapshot(baseUrl, { timeoutMs: 2000 });
    expect(requests).toEqual(['GET /api/v3/global']);
    const ts = updatedAt * 1000;
    expect(snap.updated_at.toISOString()).toBe('2024-03-01T10:00:00.000Z');
    expect(snap.points).toEqual([
      { source: 'coingecko_global', metric: 'TOTAL', ts, value: 2_415_000_000_000 },
      { source: 'coingecko_global', metric: 'BTC.D', ts, value: 51.02 },
      { source: 'coingecko_global', metric: 'USDT.D', ts, value: 4.07 },
      { source: 'coingecko_global', metric: 'ETH.D', ts, value: 17.11 },
    ]);
  });

  it.each([
    ['HTTP 500', { status: 500, body: '{"error":"boom"}' }, /answered HTTP 500/],
    ['HTTP 429', { status: 429, body: '{}' }, /HTTP 429 .*rate limited/],
    ['not JSON', { status: 200, body: '<html>oops' }, /body that is not JSON/],
    ['truncated JSON', { status: 200, body: JSON.stringify(goodBody).slice(0, 40) }, /not JSON/],
    [
      'missing total',
      { status: 200, body: JSON.stringify({ data: { ...goodBody.data, total_market_cap: {} } }) },
      /unusable \/api\/v3\/global response: data\.total_market_cap\.usd is missing \(a number is required\); retry later/,
    ],
    [
      'percent out of range',
      { status: 200, body: JSON.stringify({ data: { ...goodBody.data, market_cap_percentage: { btc: 151 } } }) },
      /data\.market_cap_percentage\.btc/,
    ],
    [
      'string updated_at',
      { status: 200, body: JSON.stringify({ data: { ...goodBody.data, updated_at: 'now' } }) },
      /data\.updated_at/,
    ],
  ])('%s is a one-sentence TRANSIENT error', async (_name, r, message) => {
    reply = r;
    const err = await fetchGlobalSnapshot(baseUrl, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TraderError', code: 'TRANSIENT', message: expect.stringMatching(message) });
    expect((err as Error).message).not.toMatch(/\n/);
    expect((err as Error).message).toContain(baseUrl);
  });

  it('gives up after timeoutMs with TIMEOUT, and reports an unreachable host as TRANSIENT', async () => {
    reply = { status: 200, body: JSON.stringify(goodBody), delayMs: 1500 };
    const started = Date.now();
    await expect(fetchGlobalSnapshot(baseUrl, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/within 200 ms/),
    });
    expect(Date.now() - started).toBeLessThan(1400);
    // Port 1 on localhost refuses connections.
    await expect(fetchGlobalSnapshot('http://127.0.0.1:1', { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'TRANSIENT',
      message: expect.stringMatching(/unreachable/),
    });
    await expect(fetchGlobalSnapshot('not a url')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('reads the base URL from TRADER_COINGECKO_URL, defaulting to the public API', () => {
    expect(coingeckoBaseUrl({})).toBe('https://api.coingecko.com');
    expect(coingeckoBaseUrl({ TRADER_COINGECKO_URL: baseUrl })).toBe(baseUrl);
  });
});

describe.each(backends)('recordGlobalSnapshot on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());

  it('stores a good snapshot (visible at once), and stores nothing for a 500 or malformed JSON', async () => {
    db = await freshDb(kind);
    reply = { status: 500, body: 'internal error' };
    await expect(recordGlobalSnapshot(db, baseUrl, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'TRANSIENT' });
    reply = { status: 200, body: '{"data": {"total_market_cap": ' };
    await expect(recordGlobalSnapshot(db, baseUrl, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'TRANSIENT' });
    expect(await count(db)).toBe(0);

    reply = { status: 200, body: JSON.stringify(goodBody) };
    expect((await recordGlobalSnapshot(db, baseUrl, { timeoutMs: 2000 })).points_written).toBe(4);
    // The same CoinGecko update fetched again overwrites, it does not duplicate.
    await recordGlobalSnapshot(db, baseUrl, { timeoutMs: 2000 });
    expect(await count(db)).toBe(4);

    const m = (await buildMacroContext(db, new Date(updatedAt * 1000)))!;
    expect(m).toMatchObject({
      source: 'coingecko_global',
      as_of: '2024-03-01T10:00:00.000Z',
      total_mcap_usd: 2.415e12,
      btc_d: 51.02,
      usdt_d: 4.07,
      eth_d: 17.11,
    });
    expect(m.alts_d).toBeCloseTo(100 - 51.02 - 4.07, 12);
    expect(m.alts_ex_eth_d).toBeCloseTo(100 - 51.02 - 4.07 - 17.11, 12);
    expect(await buildMacroContext(db, new Date(updatedAt * 1000 - 1))).toBeNull();
  });
});
