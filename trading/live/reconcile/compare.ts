import type { ExchangeTrade } from '../exchange-port.ts';
import type { Adoption, Difference, ExchangeBook, LocalBook, MarketView, ReconcilePlan } from './reconcile-types.ts';

/**
 * The pure compare step: from the database's book and the exchange's, the plan of what
 * to adopt and every difference, each explained or not. No I/O, so a property test can
 * hold it to its promise: when the exchange's balances are the database's plus the
 * effects of the trades the database lacks, booking the adoptions makes the two equal and
 * nothing is unexplained; any other change of a balance is unexplained.
 */

/** Balances agree to the exchange's 8 decimals, with room for float sums of many fills. */
export function sameAmount(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-8 + 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

/** What one fill did to the account's balances (spot): base and quote move, the fee leaves in its asset. */
export function fillEffects(t: ExchangeTrade, market: Pick<MarketView, 'base' | 'quote'>): Record<string, number> {
  const sign = t.side === 'buy' ? 1 : -1;
  const out: Record<string, number> = { [market.base]: sign * t.qty, [market.quote]: -sign * t.qty * t.price };
  out[t.fee_asset] = (out[t.fee_asset] ?? 0) - t.fee;
  return out;
}

/** Below what the exchange lets trader sell: a quantity under the minimum quantity or notional. */
export function isDust(qty: number, market: Pick<MarketView, 'min_qty' | 'min_notional' | 'price'>): boolean {
  return qty > 0 && (qty < market.min_qty || qty * market.price < market.min_notional);
}

const roleKind = { entry: 'entry', stop: 'stop_loss', take_profit: 'take_profit', close: 'close' } as const;

function adoptionOf(t: ExchangeTrade, local: LocalBook): Adoption {
  const order = local.orders.find((o) => o.exchange_order_id === t.exchange_order_id && o.symbol === t.symbol);
  if (order)
    return {
      trade: t,
      client_order_id: order.client_order_id,
      role: order.role,
      position_id: order.position_id,
      kind: roleKind[order.role],
    };
  // By hand: a trade against the side of an open position closes (part of) it; any other moves balances only.
  const position = local.positions.find(
    (p) => p.symbol === t.symbol && p.open_qty > 0 && (p.side === 'long' ? 'sell' : 'buy') === t.side,
  );
  return {
    trade: t,
    client_order_id: null,
    role: null,
    position_id: position?.position_id ?? null,
    kind: position ? 'close' : null,
  };
}

function describeAdoption(a: Adoption): Difference {
  const t = a.trade;
  const what = `${t.side} ${t.qty} ${t.symbol} at ${t.price} (fee ${t.fee} ${t.fee_asset}, trade ${t.trade_id})`;
  return {
    kind: a.client_order_id ? 'fill_adopted' : 'manual_fill',
    explained: true,
    symbol: t.symbol,
    asset: null,
    local_value: null,
    exchange_value: t.qty,
    detail: a.client_order_id
      ? `A fill of ${a.client_order_id} the database lacked: ${what}.`
      : `A trade made on the exchange by hand: ${what}${a.position_id !== null ? `, closing position ${a.position_id}` : ', moving balances only'}.`,
  };
}

/** Unexplained differences between `wallets` and the exchange's balances, for the assets compared this cycle. */
export function balanceMismatches(
  wallets: Record<string, number>,
  exchange: Pick<ExchangeBook, 'balances' | 'unchecked_assets'>,
  detail: (asset: string, mine: number, theirs: number) => string,
): Difference[] {
  const out: Difference[] = [];
  for (const asset of [...new Set([...Object.keys(wallets), ...Object.keys(exchange.balances)])].sort()) {
    const mine = wallets[asset] ?? 0;
    const theirs = exchange.balances[asset] ?? 0;
    if (sameAmount(mine, theirs) || exchange.unchecked_assets.includes(asset)) continue;
    out.push({
      kind: 'balance_mismatch',
      explained: false,
      symbol: null,
      asset,
      local_value: mine,
      exchange_value: theirs,
      detail: detail(asset, mine, theirs),
    });
  }
  return out;
}

export function compareBooks(local: LocalBook, exchange: ExchangeBook): ReconcilePlan {
  const booked = new Set(local.booked_trade_ids);
  const fresh = exchange.trades.filter((t) => !booked.has(t.trade_id));
  const adoptions = fresh.map((t) => adoptionOf(t, local));
  const differences = adoptions.map(describeAdoption);

  const expected: Record<string, number> = { ...local.wallets };
  for (const t of fresh) {
    const market = exchange.markets[t.symbol];
    if (!market) continue;
    for (const [asset, delta] of Object.entries(fillEffects(t, market)))
      expected[asset] = (expected[asset] ?? 0) + delta;
  }
  differences.push(
    ...balanceMismatches(
      expected,
      exchange,
      (asset, mine, theirs) =>
        `${asset}: the exchange holds ${theirs}, the database expects ${mine} after the trades since the last check (a deposit, withdrawal, transfer or a trade in a market trader does not watch).`,
    ),
  );

  const mine = new Set(local.orders.map((o) => o.exchange_order_id));
  for (const o of exchange.open_orders)
    if (!mine.has(o.exchange_order_id))
      differences.push({
        kind: 'foreign_open_order',
        explained: true,
        symbol: o.symbol,
        asset: null,
        local_value: null,
        exchange_value: null,
        detail: `Order ${o.client_order_id} on ${o.symbol} was placed on the exchange by hand; trader leaves it alone.`,
      });
  return { adoptions, differences, expected_wallets: expected };
}
