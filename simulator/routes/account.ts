/** Binance spot account endpoints on the simulator: GET /api/v3/account and /api/v3/myTrades. */
import type { MatchingEngine } from '../binance/engine.ts';
import { tradeJson } from '../binance/orders.ts';
import { fmt } from '../market.ts';
import type { Route } from '../server.ts';
import { int, limitOf, symbolOf, timeWindow } from './params.ts';
import { signedRoute, type ApiCredentials } from './signed.ts';

export function accountRoutes(creds: ApiCredentials, engine: MatchingEngine): Route[] {
  const symbols = [...engine.markets.keys()];
  const bps = (rate: number) => Math.round(rate * 10_000);
  return [
    signedRoute(creds, 'GET', '/api/v3/account', ({ query: q, serverTime }) => {
      const omitZero = q.omitZeroBalances === 'true';
      const balances = Object.entries(engine.balances.snapshot())
        .filter(([, b]) => !omitZero || b.free > 0 || b.locked > 0)
        .map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }));
      const { makerRate, takerRate } = engine.fees;
      return {
        makerCommission: bps(makerRate),
        takerCommission: bps(takerRate),
        buyerCommission: 0,
        sellerCommission: 0,
        commissionRates: { maker: fmt(makerRate), taker: fmt(takerRate), buyer: fmt(0), seller: fmt(0) },
        canTrade: true,
        canWithdraw: true,
        canDeposit: true,
        brokered: false,
        requireSelfTradePrevention: false,
        preventSor: false,
        updateTime: serverTime,
        accountType: 'SPOT',
        balances,
        permissions: ['SPOT'],
        uid: 354937868,
      };
    }),
    signedRoute(creds, 'GET', '/api/v3/myTrades', ({ query: q }) => {
      const symbol = symbolOf(q, symbols);
      const orderId = int(q, 'orderId');
      const fromId = int(q, 'fromId') ?? 0;
      const { start, end } = timeWindow(q);
      return engine.trades
        .filter(
          (t) =>
            t.symbol === symbol &&
            (orderId === undefined || t.orderId === orderId) &&
            t.id >= fromId &&
            t.time >= start &&
            t.time <= end,
        )
        .slice(0, limitOf(q))
        .map(tradeJson);
    }),
  ];
}
