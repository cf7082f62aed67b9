/**
 * The simulated exchange's order, trade and order-list records, and their JSON as Binance
 * spot REST returns them (the fields ccxt 4.5.84 parses, formatted like Binance).
 */
import { fmt, marketId } from '../market.ts';
import type { Lock } from './balances.ts';

export const ORDER_TYPES = [
  'MARKET',
  'LIMIT',
  'LIMIT_MAKER',
  'STOP_LOSS',
  'STOP_LOSS_LIMIT',
  'TAKE_PROFIT',
  'TAKE_PROFIT_LIMIT',
] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
export type Side = 'BUY' | 'SELL';

export interface SimOrder {
  /** unified symbol, e.g. 'BTC/USDT' */
  symbol: string;
  orderId: number;
  clientOrderId: string;
  /** -1 unless the order is a leg of an OCO list */
  orderListId: number;
  side: Side;
  type: OrderType;
  timeInForce: 'GTC' | 'IOC' | 'FOK' | undefined;
  /** limit price; 0 for market types */
  price: number;
  /** trigger price; 0 for non-stop types */
  stopPrice: number;
  origQty: number;
  executedQty: number;
  cummulativeQuoteQty: number;
  status: OrderStatus;
  time: number;
  updateTime: number;
  /** when a stop order's trigger fired (Binance's workingTime); -1 before */
  workingTime: number;
  /** what the order still holds locked (shared by the legs of an OCO list) */
  lock: Lock | undefined;
  /** late-fill fault: the order does not match until these run out */
  hold: { queries: number; steps: number } | undefined;
  /** 'api' (signed REST) or 'website' (placed by hand) */
  origin: 'api' | 'website';
}

export interface SimTrade {
  id: number;
  orderId: number;
  orderListId: number;
  symbol: string;
  side: Side;
  price: number;
  qty: number;
  quoteQty: number;
  commission: number;
  commissionAsset: string;
  time: number;
  isMaker: boolean;
}

export interface SimOrderList {
  orderListId: number;
  listClientOrderId: string;
  symbol: string;
  orderIds: [number, number];
  transactionTime: number;
}

export const isStopType = (t: OrderType): boolean =>
  t === 'STOP_LOSS' || t === 'STOP_LOSS_LIMIT' || t === 'TAKE_PROFIT' || t === 'TAKE_PROFIT_LIMIT';
export const hasLimitPrice = (t: OrderType): boolean => t !== 'MARKET' && t !== 'STOP_LOSS' && t !== 'TAKE_PROFIT';
export const isOpen = (o: SimOrder): boolean => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';

/** GET /api/v3/order, openOrders, allOrders. */
export function orderJson(o: SimOrder): Record<string, unknown> {
  return {
    symbol: marketId(o.symbol),
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce ?? 'GTC',
    type: o.type,
    side: o.side,
    stopPrice: fmt(o.stopPrice),
    icebergQty: fmt(0),
    time: o.time,
    updateTime: o.updateTime,
    isWorking: !isStopType(o.type) || o.workingTime >= 0,
    workingTime: o.workingTime,
    origQuoteOrderQty: fmt(0),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

/** POST /api/v3/order with newOrderRespType FULL (what ccxt asks for), and OCO orderReports. */
export function orderFullJson(o: SimOrder, fills: readonly SimTrade[]): Record<string, unknown> {
  const { time: _time, updateTime, isWorking: _w, icebergQty: _i, stopPrice, ...rest } = orderJson(o);
  return {
    ...rest,
    ...(isStopType(o.type) ? { stopPrice } : {}), // Binance sends stopPrice only for stop orders
    transactTime: updateTime,
    fills: fills.map((t) => ({
      price: fmt(t.price),
      qty: fmt(t.qty),
      commission: fmt(t.commission),
      commissionAsset: t.commissionAsset,
      tradeId: t.id,
    })),
  };
}

/** DELETE /api/v3/order. */
export function cancelJson(o: SimOrder, cancelClientOrderId: string): Record<string, unknown> {
  const { time: _time, updateTime, isWorking: _w, icebergQty: _i, workingTime: _wt, ...rest } = orderJson(o);
  return { ...rest, origClientOrderId: o.clientOrderId, clientOrderId: cancelClientOrderId, transactTime: updateTime };
}

/** GET /api/v3/myTrades. */
export function tradeJson(t: SimTrade): Record<string, unknown> {
  return {
    symbol: marketId(t.symbol),
    id: t.id,
    orderId: t.orderId,
    orderListId: t.orderListId,
    price: fmt(t.price),
    qty: fmt(t.qty),
    quoteQty: fmt(t.quoteQty),
    commission: fmt(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.side === 'BUY',
    isMaker: t.isMaker,
    isBestMatch: true,
  };
}

/** GET/DELETE /api/v3/orderList, openOrderList, POST orderList/oco (without the reports). */
export function orderListJson(l: SimOrderList, legs: readonly SimOrder[]): Record<string, unknown> {
  const done = legs.every((o) => !isOpen(o));
  return {
    orderListId: l.orderListId,
    contingencyType: 'OCO',
    listStatusType: done ? 'ALL_DONE' : 'EXEC_STARTED',
    listOrderStatus: done ? 'ALL_DONE' : 'EXECUTING',
    listClientOrderId: l.listClientOrderId,
    transactionTime: l.transactionTime,
    symbol: marketId(l.symbol),
    orders: legs.map((o) => ({ symbol: marketId(o.symbol), orderId: o.orderId, clientOrderId: o.clientOrderId })),
  };
}
