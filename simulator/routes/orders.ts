/**
 * Binance spot trade endpoints on the simulator: POST/GET/DELETE /api/v3/order,
 * GET/DELETE /api/v3/openOrders, GET /api/v3/allOrders, and OCO order lists (ccxt 4.5.84 has no
 * unified OCO call for spot: callers use the implicit privatePostOrderListOco and friends)
: POST /api/v3/orderList/oco, GET/DELETE /api/v3/orderList, GET /api/v3/openOrderList.
 */
import type { SpotAccount, OrderRef } from '../binance/placement.ts';
import {
  cancelJson,
  isOpen,
  orderFullJson,
  orderJson,
  orderListJson,
  type SimOrder,
  type SimTrade,
} from '../binance/orders.ts';
import { marketId } from '../market.ts';
import type { Route } from '../server.ts';
import { BinanceReject } from '../binance/filters.ts';
import {
  int,
  limitOf,
  mandatory,
  num,
  sideOf,
  symbolOf,
  timeInForceOf,
  timeWindow,
  typeOf,
  type Params,
} from './params.ts';
import { signedRoute, type ApiCredentials } from './signed.ts';

/** orderId, else the client id parameter (origClientOrderId); one of them is mandatory. */
function orderRef(q: Params): OrderRef {
  const orderId = int(q, 'orderId');
  if (orderId !== undefined) return { orderId };
  if (q.origClientOrderId === undefined) throw mandatory('orderId');
  return { clientOrderId: q.origClientOrderId };
}

/** The POST /api/v3/order answer for newOrderRespType ACK, RESULT or FULL (ccxt sends FULL). */
function newOrderAnswer(q: Params, o: SimOrder, fills: readonly SimTrade[]): unknown {
  const kind = q.newOrderRespType ?? (o.type === 'MARKET' || o.type === 'LIMIT' ? 'FULL' : 'ACK');
  if (kind === 'ACK') {
    return {
      symbol: marketId(o.symbol),
      orderId: o.orderId,
      orderListId: o.orderListId,
      clientOrderId: o.clientOrderId,
      transactTime: o.time,
    };
  }
  const full = orderFullJson(o, fills);
  if (kind === 'FULL') return full;
  const { fills: _fills, ...result } = full;
  return result;
}

export function orderRoutes(creds: ApiCredentials, account: SpotAccount): Route[] {
  const engine = account.engine;
  const symbols = [...engine.markets.keys()];
  const listRef = (q: Params) => {
    const orderListId = int(q, 'orderListId');
    if (orderListId !== undefined) return { orderListId };
    const listClientOrderId = q.listClientOrderId ?? q.origClientOrderId;
    if (listClientOrderId === undefined) throw mandatory('orderListId');
    return { listClientOrderId };
  };
  const listAnswer = (listId: number, withReports: boolean) => {
    const list = account.findList({ orderListId: listId });
    const legs = account.legs(list);
    return {
      ...orderListJson(list, legs),
      ...(withReports ? { orderReports: legs.map((o) => orderFullJson(o, [])) } : {}),
    };
  };

  return [
    signedRoute(creds, 'POST', '/api/v3/order', ({ query: q }) => {
      const { order, fills } = account.place(
        {
          symbol: symbolOf(q, symbols),
          side: sideOf(q),
          type: typeOf(q),
          quantity: num(q, 'quantity'),
          quoteOrderQty: num(q, 'quoteOrderQty'),
          price: num(q, 'price'),
          stopPrice: num(q, 'stopPrice'),
          timeInForce: timeInForceOf(q),
          clientOrderId: q.newClientOrderId,
        },
        'api',
      );
      return newOrderAnswer(q, order, fills);
    }),
    signedRoute(creds, 'GET', '/api/v3/order', ({ query: q }) => {
      const o = account.find(symbolOf(q, symbols), orderRef(q));
      engine.queried(o);
      return orderJson(o);
    }),
    signedRoute(creds, 'DELETE', '/api/v3/order', ({ query: q }) => {
      const symbol = symbolOf(q, symbols);
      const wanted = orderRef(q);
      const changed = account.cancel(symbol, wanted);
      const o = changed.find(
        (x) => x.orderId === wanted.orderId || x.clientOrderId === wanted.clientOrderId,
      ) as SimOrder;
      return cancelJson(o, q.newClientOrderId ?? `sim-cancel-${o.orderId}`);
    }),
    signedRoute(creds, 'DELETE', '/api/v3/openOrders', ({ query: q }) => {
      const symbol = symbolOf(q, symbols);
      const open = engine.orders.filter((o) => o.symbol === symbol && isOpen(o));
      if (open.length === 0) throw new BinanceReject(-2011, 'Unknown order sent.');
      const answers = new Map<string, unknown>(); // one entry per single order or per OCO list, like Binance
      for (const o of open) {
        if (o.orderListId >= 0) {
          if (!answers.has(`list ${o.orderListId}`)) {
            account.cancel(symbol, { orderId: o.orderId });
            answers.set(`list ${o.orderListId}`, listAnswer(o.orderListId, true));
          }
        } else {
          account.cancel(symbol, { orderId: o.orderId });
          answers.set(`order ${o.orderId}`, cancelJson(o, `sim-cancel-${o.orderId}`));
        }
      }
      return [...answers.values()];
    }),
    signedRoute(creds, 'GET', '/api/v3/openOrders', ({ query: q }) => {
      const symbol = q.symbol === undefined ? undefined : symbolOf(q, symbols);
      return engine.orders.filter((o) => isOpen(o) && (symbol === undefined || o.symbol === symbol)).map(orderJson);
    }),
    signedRoute(creds, 'GET', '/api/v3/allOrders', ({ query: q }) => {
      const symbol = symbolOf(q, symbols);
      const fromId = int(q, 'orderId') ?? 0;
      const { start, end } = timeWindow(q);
      return engine.orders
        .filter((o) => o.symbol === symbol && o.orderId >= fromId && o.time >= start && o.time <= end)
        .slice(0, limitOf(q))
        .map(orderJson);
    }),
    signedRoute(creds, 'POST', '/api/v3/orderList/oco', ({ query: q }) => {
      const leg = (side: 'above' | 'below') => ({
        type: typeOf(q, `${side}Type`),
        price: num(q, `${side}Price`),
        stopPrice: num(q, `${side}StopPrice`),
        timeInForce: timeInForceOf(q, `${side}TimeInForce`),
        clientOrderId: q[`${side}ClientOrderId`],
      });
      const quantity = num(q, 'quantity');
      if (quantity === undefined) throw mandatory('quantity');
      const { list, fills } = account.placeOco(
        {
          symbol: symbolOf(q, symbols),
          side: sideOf(q),
          quantity,
          above: leg('above'),
          below: leg('below'),
          listClientOrderId: q.listClientOrderId,
        },
        'api',
      );
      const answer = listAnswer(list.orderListId, true);
      return {
        ...answer,
        orderReports: account.legs(list).map((o) =>
          orderFullJson(
            o,
            fills.filter((t) => t.orderId === o.orderId),
          ),
        ),
      };
    }),
    signedRoute(creds, 'GET', '/api/v3/orderList', ({ query: q }) =>
      listAnswer(account.findList(listRef(q)).orderListId, false),
    ),
    signedRoute(creds, 'DELETE', '/api/v3/orderList', ({ query: q }) => {
      const { list } = account.cancelList(symbolOf(q, symbols), listRef(q));
      return listAnswer(list.orderListId, true);
    }),
    signedRoute(creds, 'GET', '/api/v3/openOrderList', () =>
      engine.lists.filter((l) => account.legs(l).some(isOpen)).map((l) => orderListJson(l, account.legs(l))),
    ),
  ];
}
