/**
 * The simulated Binance spot account's matching engine. There is no order book: each
 * symbol has one last price that the test or demo moves (setPrice, replayCandles); every
 * move re-examines the open orders of that symbol in the order they were placed.
 *
 * - MARKET (and a triggered STOP_LOSS / TAKE_PROFIT) fills at once at the last price, in
 *   chunks of the market's `liquidity`, each chunk one tick worse (slippage).
 * - A limit order marketable when it becomes active (placed, or its stop triggered) fills
 *   as taker at the last price; one resting on the book fills as maker at its own price
 *   when a price move crosses it, at most `liquidity` per move (partial fills).
 * - STOP_LOSS_LIMIT triggers when the price reaches the stop, then rests as a limit: a move
 *   that gaps past the limit leaves it open and unfilled, as on the exchange.
 * - OCO lists: the trigger of the stop leg, or any fill of the limit leg, expires the other.
 * - IOC expires what did not fill when the order became active; FOK fills all then or nothing.
 */
import { splitSymbol } from '../market.ts';
import { Balances, InsufficientBalance, round8, type Lock } from './balances.ts';
import { BinanceReject, insufficientBalance } from './filters.ts';
import { isOpen, isStopType, type SimOrder, type SimOrderList, type SimTrade } from './orders.ts';
import type { SimMarket } from './placement.ts';

export interface FeeSchedule {
  /** maker commission rate; default 0.001 (0.1 %) */
  makerRate?: number;
  /** taker commission rate; default 0.001 */
  takerRate?: number;
  /**
   * The asset commission is paid in: 'received' (Binance's default: the base asset on
   * buys, so the base credited is qty − fee, the quote on sells), 'quote' (always the
   * quote asset), or 'BNB' (converted at `bnbPrice` quote per BNB, falling back to
   * 'received' when the free BNB is short, as Binance does). Default 'received'.
   */
  asset?: 'received' | 'quote' | 'BNB';
  /** quote per BNB for BNB commissions; default 600 */
  bnbPrice?: number;
}

export class MatchingEngine {
  readonly orders: SimOrder[] = [];
  readonly trades: SimTrade[] = [];
  readonly lists: SimOrderList[] = [];
  private readonly prices = new Map<string, number>();
  private nextTradeId = 5001;

  constructor(
    readonly markets: ReadonlyMap<string, SimMarket>,
    readonly balances: Balances,
    readonly now: () => number,
    readonly fees: Required<FeeSchedule>,
  ) {
    for (const m of markets.values()) this.prices.set(m.symbol, m.price);
  }

  market(symbol: string): SimMarket {
    const m = this.markets.get(symbol);
    if (m === undefined) throw new BinanceReject(-1121, 'Invalid symbol.');
    return m;
  }

  price(symbol: string): number {
    this.market(symbol);
    return this.prices.get(symbol) as number;
  }

  /** Moves the last price and matches the symbol's open orders against it. */
  setPrice(symbol: string, price: number): SimTrade[] {
    if (!(price > 0)) throw new Error(`price of ${symbol} must be > 0`);
    this.market(symbol);
    this.prices.set(symbol, price);
    const out: SimTrade[] = [];
    for (const o of this.orders.filter((x) => x.symbol === symbol && isOpen(x))) {
      if (o.hold !== undefined && --o.hold.steps <= 0) o.hold = undefined;
      out.push(...this.match(o, false));
    }
    return out;
  }

  /** The API asked about an order: a late-fill hold counts the query down. */
  queried(o: SimOrder): void {
    if (o.hold === undefined) return;
    if (--o.hold.queries > 0) return;
    o.hold = undefined;
    this.match(o, true);
  }

  /**
   * Matches one open order at the last price; `activating` when it was just placed, its
   * hold just ended, or (set here) its stop just triggered. Returns the trades made.
   */
  match(o: SimOrder, activating: boolean): SimTrade[] {
    if (!isOpen(o) || o.hold !== undefined) return [];
    const m = this.market(o.symbol);
    const p = this.price(o.symbol);
    if (isStopType(o.type) && o.workingTime < 0) {
      if (!stopReached(o, p)) return [];
      o.workingTime = this.now();
      o.updateTime = o.workingTime;
      this.expireSibling(o);
      activating = true;
    }
    const trades: SimTrade[] = [];
    const marketable = o.price === 0 || (o.side === 'BUY' ? o.price >= p : o.price <= p);
    if (activating && o.timeInForce === 'FOK' && !(marketable && m.liquidity >= remaining(o))) {
      this.close(o, 'EXPIRED'); // fill-or-kill: all now, or nothing
      return trades;
    }
    try {
      if (o.price === 0) {
        // market, or a triggered stop-market: everything now, `liquidity` per tick
        const dir = o.side === 'BUY' ? 1 : -1;
        for (let i = 0; isOpen(o); i++) {
          const qty = Math.min(remaining(o), m.liquidity);
          trades.push(this.fill(o, qty, round8(p + dir * i * m.tickSize), false));
        }
      } else if (marketable) {
        trades.push(this.fill(o, Math.min(remaining(o), m.liquidity), activating ? p : o.price, !activating));
        this.expireSibling(o);
      }
      if (activating && o.timeInForce === 'IOC') this.close(o, 'EXPIRED'); // the rest does not rest
    } catch (e) {
      if (!(e instanceof InsufficientBalance)) throw e;
      this.close(o, 'EXPIRED'); // a stop-market buy that gapped above what its lock covers
    }
    return trades;
  }

  /** Binance's FULL response lists the trades of the request that placed the order. */
  private fill(o: SimOrder, qty: number, price: number, isMaker: boolean): SimTrade {
    const [base, quote] = splitSymbol(o.symbol);
    const rate = isMaker ? this.fees.makerRate : this.fees.takerRate;
    const quoteQty = round8(qty * price);
    const share = qty >= remaining(o) ? Infinity : ((o.lock?.amount ?? 0) * qty) / remaining(o);
    let feeAsset = this.fees.asset === 'quote' ? quote : o.side === 'BUY' ? base : quote;
    let fee = round8((feeAsset === base ? qty : quoteQty) * rate);
    if (this.fees.asset === 'BNB') {
      const bnbFee = round8((quoteQty * rate) / this.fees.bnbPrice);
      if (this.balances.get('BNB').free >= bnbFee) [feeAsset, fee] = ['BNB', bnbFee];
    }
    const take = (asset: string, amount: number) => this.balances.debit(asset, amount);
    if (o.lock !== undefined) this.balances.release(o.lock, share);
    if (o.side === 'BUY') {
      take(quote, feeAsset === quote ? quoteQty + fee : quoteQty);
      this.balances.credit(base, feeAsset === base ? qty - fee : qty);
    } else {
      take(base, qty);
      this.balances.credit(quote, feeAsset === quote ? quoteQty - fee : quoteQty);
    }
    if (feeAsset === 'BNB') take('BNB', fee);
    o.executedQty = round8(o.executedQty + qty);
    o.cummulativeQuoteQty = round8(o.cummulativeQuoteQty + quoteQty);
    o.updateTime = this.now();
    o.status = remaining(o) <= 0 ? 'FILLED' : 'PARTIALLY_FILLED';
    const t: SimTrade = {
      id: this.nextTradeId++,
      orderId: o.orderId,
      orderListId: o.orderListId,
      symbol: o.symbol,
      side: o.side,
      price,
      qty,
      quoteQty,
      commission: fee,
      commissionAsset: feeAsset,
      time: o.updateTime,
      isMaker,
    };
    this.trades.push(t);
    return t;
  }

  /** Cancels (or expires) an open order; its lock goes back unless an open leg shares it. */
  close(o: SimOrder, status: 'CANCELED' | 'EXPIRED'): void {
    if (!isOpen(o)) return;
    o.status = status;
    o.updateTime = this.now();
    this.releaseIfUnshared(o.lock);
  }

  /** An OCO leg became active: the other leg expires, leaving it the shared lock. */
  private expireSibling(o: SimOrder): void {
    if (o.orderListId < 0) return;
    const sibling = this.orders.find((x) => x.orderListId === o.orderListId && x !== o && isOpen(x));
    if (sibling === undefined) return;
    sibling.status = 'EXPIRED';
    sibling.updateTime = this.now();
  }

  private releaseIfUnshared(lock: Lock | undefined): void {
    if (lock === undefined || this.orders.some((x) => x.lock === lock && isOpen(x))) return;
    this.balances.release(lock);
  }

  /** Locks what a new order may spend, or throws -2010 insufficient balance. */
  lockFor(o: Pick<SimOrder, 'symbol' | 'side' | 'price' | 'stopPrice' | 'origQty'>): Lock {
    const [base, quote] = splitSymbol(o.symbol);
    try {
      if (o.side === 'SELL') return this.balances.lock(base, o.origQty);
      const feeShare = this.fees.asset === 'quote' ? 1 + this.fees.takerRate : 1;
      const price = o.price > 0 ? o.price : o.stopPrice > 0 ? o.stopPrice : this.price(o.symbol);
      return this.balances.lock(quote, round8(o.origQty * price * feeShare));
    } catch (e) {
      throw e instanceof InsufficientBalance ? insufficientBalance() : e;
    }
  }
}

export const remaining = (o: SimOrder): number => round8(o.origQty - o.executedQty);

/** STOP_LOSS* sells trigger at or below the stop (buys at or above); TAKE_PROFIT* the reverse. */
export function stopReached(o: Pick<SimOrder, 'type' | 'side' | 'stopPrice'>, price: number): boolean {
  const falling = (o.type === 'STOP_LOSS' || o.type === 'STOP_LOSS_LIMIT') === (o.side === 'SELL');
  return falling ? price <= o.stopPrice : price >= o.stopPrice;
}
