import { errorMessage } from '../../../core/errors.ts';
import { type ExchangePort, type ExchangeTrade, isExchangeFault, type ExchangeOpenOrder } from '../exchange-port.ts';
import type { ExchangeBook, MarketView } from './reconcile-types.ts';

/**
 * The gather step: what the exchange says now, market by market. Balances are asked once
 * (if they fail, nothing can be compared: the caller counts a failure of the whole exchange);
 * a market that fails (its filters, price, open orders or trade history) is left out and
 * named, and the assets it trades are not compared this cycle, since its missing trades
 * could make a balance look wrong that is not.
 */

export interface GatherTarget {
  symbol: string;
  /** Its trade history is read from here on (inclusive). */
  since: Date;
}

export interface Gathered {
  book: ExchangeBook;
  failed: { symbol: string; error: string }[];
  /** Per market gathered: the newest trade time seen, to read on from next time. */
  newest_trade: Record<string, Date | null>;
}

/** Balances as totals (free + locked) per asset; zero rows dropped. Throws an ExchangeFault when they cannot be read. */
export async function exchangeTotals(port: ExchangePort): Promise<Record<string, number>> {
  const balances = await port.balances();
  return Object.fromEntries(
    Object.entries(balances)
      .map(([asset, b]) => [asset, b.free + b.used] as const)
      .filter(([, total]) => total !== 0),
  );
}

async function gatherMarket(port: ExchangePort, t: GatherTarget) {
  const info = await port.market(t.symbol);
  const market: MarketView = {
    base: info.base,
    quote: info.quote,
    min_qty: info.min_qty,
    min_notional: info.min_notional,
    price: await port.price(t.symbol),
  };
  const open: ExchangeOpenOrder[] = await port.openOrders(t.symbol);
  const trades: ExchangeTrade[] = await port.trades(t.symbol, t.since);
  return { market, open, trades };
}

/** The assets of a symbol as written (BASE/QUOTE), for leaving them out when the market itself cannot be read. */
function assetsOf(symbol: string): string[] {
  return symbol.split('/');
}

/** `balances` from exchangeTotals (read first: they decide which markets to look at); a failing market is reported, not thrown. */
export async function gatherExchange(
  port: ExchangePort,
  targets: GatherTarget[],
  balances: Record<string, number>,
): Promise<Gathered> {
  const book: ExchangeBook = { balances, trades: [], open_orders: [], markets: {}, unchecked_assets: [] };
  const out: Gathered = { book, failed: [], newest_trade: {} };
  for (const t of targets) {
    try {
      const { market, open, trades } = await gatherMarket(port, t);
      book.markets[t.symbol] = market;
      book.trades.push(...trades);
      book.open_orders.push(
        ...open.map((o) => ({
          client_order_id: o.client_order_id,
          exchange_order_id: o.exchange_order_id,
          symbol: t.symbol,
        })),
      );
      out.newest_trade[t.symbol] = trades.length ? trades[trades.length - 1]!.ts : null;
    } catch (e) {
      if (!isExchangeFault(e)) throw e;
      out.failed.push({ symbol: t.symbol, error: errorMessage(e) });
      book.unchecked_assets.push(...assetsOf(t.symbol));
    }
  }
  book.unchecked_assets = [...new Set(book.unchecked_assets)].sort();
  return out;
}
