/** GET /api/v3/exchangeInfo as Binance spot serves it (the fields ccxt parses, and more). */
import type { Route, RouteResult } from '../server.ts';
import { fmt, marketId, splitSymbol, type StandInMarket } from '../market.ts';
import { invalidSymbol } from './binance-errors.ts';

export function exchangeInfoSymbol(m: StandInMarket): Record<string, unknown> {
  const [base, quote] = splitSymbol(m.symbol);
  return {
    symbol: marketId(m.symbol),
    status: m.status ?? 'TRADING',
    baseAsset: base,
    baseAssetPrecision: 8,
    quoteAsset: quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    amendAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: fmt(m.minPrice ?? m.tickSize),
        maxPrice: fmt(m.maxPrice ?? 1_000_000),
        tickSize: fmt(m.tickSize),
      },
      { filterType: 'LOT_SIZE', minQty: fmt(m.minQty), maxQty: fmt(m.maxQty ?? 9000), stepSize: fmt(m.stepSize) },
      { filterType: 'ICEBERG_PARTS', limit: 10 },
      { filterType: 'MARKET_LOT_SIZE', minQty: fmt(0), maxQty: fmt(m.maxQty ?? 9000), stepSize: fmt(0) },
      {
        filterType: 'TRAILING_DELTA',
        minTrailingAboveDelta: 10,
        maxTrailingAboveDelta: 2000,
        minTrailingBelowDelta: 10,
        maxTrailingBelowDelta: 2000,
      },
      {
        filterType: 'PERCENT_PRICE_BY_SIDE',
        bidMultiplierUp: '5',
        bidMultiplierDown: '0.2',
        askMultiplierUp: '5',
        askMultiplierDown: '0.2',
        avgPriceMins: 5,
      },
      {
        filterType: 'NOTIONAL',
        minNotional: fmt(m.minNotional),
        applyMinToMarket: true,
        maxNotional: fmt(9_000_000),
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

export function exchangeInfoRoutes(markets: readonly StandInMarket[]): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v3/exchangeInfo',
      handle: (ctx): RouteResult => {
        let wanted: string[] | undefined;
        if (ctx.query.symbol !== undefined) wanted = [ctx.query.symbol];
        else if (ctx.query.symbols !== undefined) {
          try {
            wanted = JSON.parse(ctx.query.symbols) as string[];
          } catch {
            return invalidSymbol();
          }
        }
        const chosen = wanted === undefined ? markets : markets.filter((m) => wanted.includes(marketId(m.symbol)));
        if (wanted !== undefined && chosen.length !== wanted.length) return invalidSymbol();
        return {
          status: 200,
          body: {
            timezone: 'UTC',
            serverTime: ctx.serverTime,
            rateLimits: [
              { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
              { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
              { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
              { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
            ],
            exchangeFilters: [],
            symbols: chosen.map(exchangeInfoSymbol),
          },
        };
      },
    },
  ];
}
