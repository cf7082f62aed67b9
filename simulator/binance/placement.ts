/**
 * New orders, OCO lists, queries and cancels on the simulated Binance spot account, with
 * Binance's rejections: filters (-1013), missing parameters (-1102), insufficient balance,
 * duplicate client ids, limit-makers that would take and stops that would trigger at once
 * (-2010), unknown orders (-2013 on query, -2011 on cancel).
 */
import type { StandInMarket } from '../market.ts';
import { MatchingEngine, stopReached } from './engine.ts';
import { BinanceReject, checkFilters } from './filters.ts';
import {
  hasLimitPrice,
  isOpen,
  isStopType,
  type OrderType,
  type SimOrder,
  type SimOrderList,
  type SimTrade,
  type Side,
} from './orders.ts';

/** A simulated market: exchangeInfo filters, candles for market data, and trading state. */
export interface SimMarketConfig extends StandInMarket {
  /** starting last price; default the close of the last candle of the finest interval */
  price?: number;
  /** base quantity filled per price level (market orders) or per price move (resting limits); default unlimited */
  liquidity?: number;
}
export type SimMarket = StandInMarket & { price: number; liquidity: number };

export interface NewOrderRequest {
  symbol: string;
  side: Side;
  type: OrderType;
  quantity?: number;
  /** MARKET only: spend this much quote instead of giving a quantity */
  quoteOrderQty?: number;
  price?: number;
  stopPrice?: number;
  timeInForce?: 'GTC' | 'IOC' | 'FOK';
  clientOrderId?: string;
}

export interface OcoLegRequest {
  type: OrderType;
  price?: number;
  stopPrice?: number;
  timeInForce?: 'GTC' | 'IOC' | 'FOK';
  clientOrderId?: string;
}

export interface NewOcoRequest {
  symbol: string;
  side: Side;
  quantity: number;
  /** the leg priced above the last price (a sell's take-profit, a buy's stop) */
  above: OcoLegRequest;
  /** the leg priced below the last price (a sell's stop, a buy's limit) */
  below: OcoLegRequest;
  listClientOrderId?: string;
}

export interface OrderRef {
  orderId?: number;
  clientOrderId?: string;
}

/** The late-fill fault: the next `orders` API orders stay NEW until `queries` GETs of them or `priceSteps` moves. */
export interface LateFill {
  queries?: number;
  priceSteps?: number;
  orders?: number;
}

const missing = (name: string) =>
  new BinanceReject(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
const rejected = (msg: string) => new BinanceReject(-2010, msg);

export class SpotAccount {
  private nextOrderId = 1001;
  private nextListId = 1;
  private late: Required<LateFill> | undefined;

  constructor(readonly engine: MatchingEngine) {}

  lateFills(spec: LateFill): void {
    this.late = {
      queries: spec.queries ?? Infinity,
      priceSteps: spec.priceSteps ?? Infinity,
      orders: spec.orders ?? 1,
    };
  }

  place(req: NewOrderRequest, origin: SimOrder['origin']): { order: SimOrder; fills: SimTrade[] } {
    const order = this.build(req, origin, -1);
    return { order, fills: this.admit([order], origin) };
  }

  placeOco(
    req: NewOcoRequest,
    origin: SimOrder['origin'],
  ): { list: SimOrderList; legs: SimOrder[]; fills: SimTrade[] } {
    if (
      req.listClientOrderId !== undefined &&
      this.engine.lists.some((l) => l.listClientOrderId === req.listClientOrderId && this.legs(l).some(isOpen))
    ) {
      throw rejected('Duplicate order sent.');
    }
    const id = this.nextListId;
    const legs = [req.above, req.below].map((leg) =>
      this.build({ ...leg, symbol: req.symbol, side: req.side, quantity: req.quantity }, origin, id),
    );
    const [above, below] = legs as [SimOrder, SimOrder];
    const limits = ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
    const stops = ['STOP_LOSS', 'STOP_LOSS_LIMIT'];
    const [wantAbove, wantBelow] = req.side === 'SELL' ? [limits, stops] : [stops, limits];
    if (!wantAbove.includes(above.type) || !wantBelow.includes(below.type)) {
      throw new BinanceReject(-1106, 'Parameter aboveType or belowType is not valid for this OCO side.');
    }
    const last = this.engine.price(req.symbol);
    const level = (o: SimOrder) => (o.stopPrice > 0 ? o.stopPrice : o.price);
    if (!(level(above) > last && level(below) < last))
      throw rejected('The relationship of the prices for the orders is not correct.');
    this.nextListId++;
    const list: SimOrderList = {
      orderListId: id,
      listClientOrderId: req.listClientOrderId ?? `sim-list-${id}`,
      symbol: req.symbol,
      orderIds: [above.orderId, below.orderId],
      transactionTime: this.engine.now(),
    };
    const fills = this.admit(legs, origin);
    this.engine.lists.push(list);
    return { list, legs, fills };
  }

  find(symbol: string, ref: OrderRef): SimOrder {
    const o = this.lookup(symbol, ref);
    if (o === undefined) throw new BinanceReject(-2013, 'Order does not exist.');
    return o;
  }

  /** Cancels an open order (both legs if it belongs to an OCO list); returns what changed. */
  cancel(symbol: string, ref: OrderRef): SimOrder[] {
    const o = this.lookup(symbol, ref);
    if (o === undefined || !isOpen(o)) throw new BinanceReject(-2011, 'Unknown order sent.');
    if (o.orderListId >= 0) return this.cancelList(symbol, { orderListId: o.orderListId }).legs;
    this.engine.close(o, 'CANCELED');
    return [o];
  }

  findList(ref: { orderListId?: number; listClientOrderId?: string }): SimOrderList {
    const found = [...this.engine.lists]
      .reverse()
      .find(
        (l) =>
          l.orderListId === ref.orderListId ||
          (ref.listClientOrderId !== undefined && l.listClientOrderId === ref.listClientOrderId),
      );
    if (found === undefined) throw new BinanceReject(-2018, 'Order list does not exist.');
    return found;
  }

  cancelList(
    symbol: string,
    ref: { orderListId?: number; listClientOrderId?: string },
  ): { list: SimOrderList; legs: SimOrder[] } {
    const list = this.findList(ref);
    const legs = this.legs(list);
    if (list.symbol !== symbol || !legs.some(isOpen)) throw new BinanceReject(-2011, 'Unknown order sent.');
    for (const o of legs) this.engine.close(o, 'CANCELED');
    return { list, legs };
  }

  legs(list: SimOrderList): SimOrder[] {
    return list.orderIds.map((id) => this.engine.orders.find((o) => o.orderId === id) as SimOrder);
  }

  private lookup(symbol: string, ref: OrderRef): SimOrder | undefined {
    if (ref.orderId === undefined && ref.clientOrderId === undefined) throw missing('orderId');
    const all = this.engine.orders.filter((o) => o.symbol === symbol);
    return ref.orderId !== undefined
      ? all.find((o) => o.orderId === ref.orderId)
      : all.reverse().find((o) => o.clientOrderId === ref.clientOrderId);
  }

  /** Validates one order (not yet stored) against Binance's rules. */
  private build(req: NewOrderRequest, origin: SimOrder['origin'], orderListId: number): SimOrder {
    const m = this.engine.market(req.symbol);
    const last = this.engine.price(req.symbol);
    const limit = hasLimitPrice(req.type);
    if (limit && req.price === undefined) throw missing('price');
    if (isStopType(req.type) && req.stopPrice === undefined) throw missing('stopPrice');
    if (limit && req.type !== 'LIMIT_MAKER' && req.timeInForce === undefined) throw missing('timeInForce');
    let quantity = req.quantity;
    if (quantity === undefined && req.type === 'MARKET' && req.quoteOrderQty !== undefined) {
      quantity = Math.floor(req.quoteOrderQty / last / m.stepSize) * m.stepSize;
      quantity = Number(quantity.toFixed(8));
    }
    if (quantity === undefined) throw missing('quantity');
    const price = limit ? (req.price as number) : 0;
    const stopPrice = isStopType(req.type) ? (req.stopPrice as number) : 0;
    checkFilters(m, {
      prices: [price, stopPrice].filter((p) => p > 0),
      quantity,
      notionalPrice: price || stopPrice || last,
    });
    const now = this.engine.now();
    const orderId = this.nextOrderId++;
    const clientOrderId =
      req.clientOrderId ?? (origin === 'website' ? `web_${orderId.toString(16)}` : `sim-${orderId}`);
    if (this.engine.orders.some((o) => o.clientOrderId === clientOrderId && isOpen(o)))
      throw rejected('Duplicate order sent.');
    const o: SimOrder = {
      symbol: req.symbol,
      orderId,
      clientOrderId,
      orderListId,
      side: req.side,
      type: req.type,
      timeInForce: limit ? (req.timeInForce ?? 'GTC') : undefined,
      price,
      stopPrice,
      origQty: quantity,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      status: 'NEW',
      time: now,
      updateTime: now,
      workingTime: isStopType(req.type) ? -1 : now,
      lock: undefined,
      hold: undefined,
      origin,
    };
    if (req.type === 'LIMIT_MAKER' && (o.side === 'BUY' ? price >= last : price <= last)) {
      throw rejected('Order would immediately match and take.');
    }
    if (isStopType(o.type) && stopReached(o, last)) throw rejected('Stop price would trigger immediately.');
    return o;
  }

  /** Locks (one lock shared by OCO legs), stores and matches validated orders. */
  private admit(orders: SimOrder[], origin: SimOrder['origin']): SimTrade[] {
    const first = orders[0] as SimOrder;
    const lockSize = orders.reduce(
      (a, o) => (o.side === 'BUY' && Math.max(o.price, o.stopPrice) > Math.max(a.price, a.stopPrice) ? o : a),
      first,
    );
    const lock = this.engine.lockFor(lockSize);
    const late = origin === 'api' ? this.takeLate() : undefined;
    for (const o of orders) {
      o.lock = lock;
      if (late !== undefined) o.hold = { ...late };
      this.engine.orders.push(o);
    }
    return orders.flatMap((o) => this.engine.match(o, true));
  }

  private takeLate(): { queries: number; steps: number } | undefined {
    if (this.late === undefined) return undefined;
    const hold = { queries: this.late.queries, steps: this.late.priceSteps };
    if (--this.late.orders <= 0) this.late = undefined;
    return hold;
  }
}
