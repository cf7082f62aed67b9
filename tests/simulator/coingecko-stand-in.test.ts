/** CoinGecko-shaped /api/v3/global stand-in: settable values, faults, request log. */
import { afterEach, describe, expect, it } from 'vitest';
import { startCoinGeckoStandIn, type CoinGeckoStandIn } from '../../simulator/binance-stand-in.ts';

const NOW = Date.UTC(2024, 5, 1, 12, 30);
let standIn: CoinGeckoStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe('coingecko stand-in', () => {
  it('serves /api/v3/global with values set by the test', async () => {
    standIn = await startCoinGeckoStandIn({
      now: () => NOW,
      global: { market_cap_percentage: { btc: 50, eth: 15, usdt: 5 } },
    });
    const body = (await (await fetch(`${standIn.url}/api/v3/global`)).json()) as { data: Record<string, unknown> };
    expect(body.data).toMatchObject({
      active_cryptocurrencies: expect.any(Number),
      markets: expect.any(Number),
      total_market_cap: { usd: expect.any(Number) },
      total_volume: { usd: expect.any(Number) },
      market_cap_percentage: { btc: 50, eth: 15, usdt: 5 },
      market_cap_change_percentage_24h_usd: expect.any(Number),
      updated_at: NOW / 1000,
    });
    standIn.setGlobal({ total_market_cap: { usd: 1e12 }, market_cap_change_percentage_24h_usd: 3.5 });
    const next = (await (await fetch(`${standIn.url}/api/v3/global`)).json()) as { data: Record<string, unknown> };
    expect(next.data).toMatchObject({ total_market_cap: { usd: 1e12 }, market_cap_change_percentage_24h_usd: 3.5 });
    expect(standIn.requests.map((r) => [r.path, r.status])).toEqual([
      ['/api/v3/global', 200],
      ['/api/v3/global', 200],
    ]);
  });

  it('applies the same faults (429 with Retry-After, 503, malformed JSON)', async () => {
    standIn = await startCoinGeckoStandIn({ now: () => NOW });
    standIn.faults.rateLimit(30, { times: 1 });
    standIn.faults.serverError(503, { path: '/api/v3/global', times: 1 });
    const limited = await fetch(`${standIn.url}/api/v3/global`);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '30']);
    expect(await limited.json()).toMatchObject({ status: { error_code: 429 } });
    expect((await fetch(`${standIn.url}/api/v3/global`)).status).toBe(503);
    standIn.faults.malformedJson({ times: 1 });
    const text = await (await fetch(`${standIn.url}/api/v3/global`)).text();
    expect(() => JSON.parse(text)).toThrow();
    expect((await fetch(`${standIn.url}/api/v3/global`)).status).toBe(200);
  });
});
