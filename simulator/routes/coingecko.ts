/** CoinGecko-shaped GET /api/v3/global (and /api/v3/ping) for the macro provider. */
import type { FaultBodies, Route } from '../server.ts';

export interface CoinGeckoGlobal {
  active_cryptocurrencies: number;
  upcoming_icos: number;
  ongoing_icos: number;
  ended_icos: number;
  markets: number;
  total_market_cap: Record<string, number>;
  total_volume: Record<string, number>;
  market_cap_percentage: Record<string, number>;
  market_cap_change_percentage_24h_usd: number;
  /** unix seconds; default: the stand-in clock at the request */
  updated_at?: number;
}

export function defaultCoinGeckoGlobal(): CoinGeckoGlobal {
  return {
    active_cryptocurrencies: 15000,
    upcoming_icos: 0,
    ongoing_icos: 49,
    ended_icos: 3376,
    markets: 1200,
    total_market_cap: { usd: 2_400_000_000_000, btc: 36_000_000 },
    total_volume: { usd: 95_000_000_000, btc: 1_400_000 },
    market_cap_percentage: { btc: 54.2, eth: 12.1, usdt: 4.6, bnb: 3.4, sol: 2.9, usdc: 1.4 },
    market_cap_change_percentage_24h_usd: -1.25,
  };
}

/** `state.global` is read on every request, so tests can change it between calls. */
export function coinGeckoRoutes(state: { global: CoinGeckoGlobal }): Route[] {
  return [
    { method: 'GET', path: '/api/v3/ping', handle: () => ({ status: 200, body: { gecko_says: '(V3) To the Moon!' } }) },
    {
      method: 'GET',
      path: '/api/v3/global',
      handle: (ctx) => ({
        status: 200,
        body: { data: { ...state.global, updated_at: state.global.updated_at ?? Math.floor(ctx.serverTime / 1000) } },
      }),
    },
  ];
}

export const coinGeckoFaultBodies: FaultBodies = {
  rateLimit: (status) => ({
    status: {
      error_code: status,
      error_message:
        "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits.",
    },
  }),
  notFound: () => ({ error: 'Incorrect path. Please check https://www.coingecko.com/api/' }),
};
