import { createHash } from 'node:crypto';
import type { Queryable } from '../../../store/db.ts';
import { drawdownPct } from '../../portfolio.ts';
import { loadState, updateState } from '../../state-repo.ts';
import { assetsOf, bookFill } from '../book-fill.ts';
import { exactSum } from '../decimal-steps.ts';
import type { ExchangeTrade } from '../exchange-port.ts';
import { findOrder, type LiveOrder } from '../orders-repo.ts';
import { balanceMismatches, fillEffects, isDust, sameAmount } from './compare.ts';
import { auditReconcile, insertDifferences, live, loadLocalBook, upsertDust } from './reconcile-repo.ts';
import type { Adoption, Difference, ExchangeBook, MarketView, ReconcilePlan } from './reconcile-types.ts';
import { isReconciliationHalt, reconciliationHaltPrefix } from './halt-reason.ts';
import { auditRowChanges, rowImage } from './row-changes.ts';

/**
 * The act step: carries out a plan in the caller's ONE transaction, so a cycle is adopted
 * whole or not at all. Fills are booked through book-fill.ts (the broker's own booking):
 * - a fill of trader's order is recorded in order_fills and booked;
 * - a trade made by hand that sells an open position is adopted as a `close` order of
 *   that position (client id `rc-<hash of the exchange order id>`), then booked the same way;
 * - any other trade by hand moves the wallets only (nothing of trader's was involved).
 * A position left below the market's minimum closes and its rest is tracked as dust.
 * Afterwards the wallets are compared with the exchange once more: a booking that left
 * them apart is unexplained too. Unexplained differences halt LIVE trading.
 */

export interface ActResult {
  differences: Difference[];
  adopted: number;
  halted: boolean;
  equity: number;
}

/** The largest quantity the market would not let trader sell, for book-fill's dust rule. */
function dustQty(m: MarketView): number {
  return Math.max(m.min_qty, m.min_notional / m.price) * (1 - 1e-9);
}

/** The client id a sale by hand is adopted under: the same exchange order always gets the same one. */
function manualOrderId(exchange: string, exchangeOrderId: string): string {
  return `rc-${createHash('sha256').update(`${exchange} ${exchangeOrderId}`).digest('hex').slice(0, 24)}`;
}

/** The order a trade made by hand is adopted as: one `close` of the position per exchange order. */
async function manualCloseOrder(tx: Queryable, exchange: string, a: Adoption, qty: number): Promise<LiveOrder> {
  const id = manualOrderId(exchange, a.trade.exchange_order_id);
  await tx.query(
    `insert into ${live.table('orders')} (client_order_id, exchange, symbol, side, type, role, qty, state,
       exchange_order_id, filled_qty, avg_price, position_id, last_error)
     values ($1, $2, $3, $4, 'market', 'close', $5, 'FILLED', $6, $5, $7, $8, 'placed by hand on the exchange')
     on conflict (client_order_id) do nothing`,
    [id, exchange, a.trade.symbol, a.trade.side, qty, a.trade.exchange_order_id, a.trade.price, a.position_id],
  );
  return (await findOrder(tx, live, id))!;
}

async function recordFill(tx: Queryable, order: LiveOrder, t: ExchangeTrade): Promise<void> {
  await tx.query(
    `insert into ${live.table('order_fills')} (exchange, exchange_trade_id, client_order_id, qty, price, fee, fee_asset, ts)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (exchange, exchange_trade_id) do nothing`,
    [order.exchange, t.trade_id, order.client_order_id, t.qty, t.price, t.fee, t.fee_asset, t.ts],
  );
}

async function moveWalletsOnly(tx: Queryable, t: ExchangeTrade, market: MarketView): Promise<void> {
  for (const [asset, delta] of Object.entries(fillEffects(t, market)))
    await tx.query(
      `insert into ${live.table('wallets')} (asset, balance) values ($1, greatest($2::numeric, 0))
       on conflict (asset) do update set balance = greatest(${live.table('wallets')}.balance + $2::numeric, 0), updated_at = now()`,
      [asset, delta],
    );
}

/** Books one adoption; returns the dust it left (a closed position's unsellable rest), if any. */
async function adopt(
  tx: Queryable,
  exchange: string,
  a: Adoption,
  book: ExchangeBook,
  manualQty: Map<string, number>,
): Promise<Difference | null> {
  const market = book.markets[a.trade.symbol]!;
  const order = a.client_order_id
    ? (await findOrder(tx, live, a.client_order_id))!
    : a.position_id !== null
      ? await manualCloseOrder(tx, exchange, a, manualQty.get(a.trade.exchange_order_id)!)
      : null;
  if (!order) {
    await moveWalletsOnly(tx, a.trade, market);
    return null;
  }
  await recordFill(tx, order, a.trade);
  const positionId = order.position_id;
  const before =
    positionId === null ? undefined : (await rowImage(tx, 'positions', [String(positionId)])).get(String(positionId));
  const booked = await bookFill(tx, live, order, fillOf(a.trade, order), { dust_qty: dustQty(market) });
  if (!booked?.closed || !before) return null;
  const { base } = assetsOf(a.trade.symbol);
  const baseFee = a.trade.fee_asset === base ? a.trade.fee : 0;
  // In the exchange's decimals: 0.21440538 - 0.1072 - 0.1072 is 0.00000538, not 0.000005379999999999274.
  const rest = exactSum(Number(before.open_qty), -a.trade.qty, -baseFee);
  if (!(rest > 0) || !isDust(rest, market)) return null;
  await upsertDust(tx, { exchange, asset: base, qty: rest, position_id: booked.position.position_id });
  return {
    kind: 'dust',
    explained: true,
    symbol: a.trade.symbol,
    asset: base,
    local_value: rest,
    exchange_value: null,
    detail: `Position ${booked.position.position_id} closed with ${rest} ${base} left, below what ${a.trade.symbol} lets trader sell; tracked as dust.`,
  };
}

function fillOf(t: ExchangeTrade, order: LiveOrder) {
  return {
    exchange_trade_id: t.trade_id,
    client_order_id: order.client_order_id,
    qty: t.qty,
    price: t.price,
    fee: t.fee,
    fee_asset: t.fee_asset,
    ts: t.ts,
  };
}

/** Wallets that still disagree with the exchange after booking: the booking did not account for a trade. */
async function residualMismatches(tx: Queryable, exchange: string, book: ExchangeBook, plan: ReconcilePlan) {
  const flagged = new Set(plan.differences.filter((d) => d.kind === 'balance_mismatch').map((d) => d.asset));
  const local = await loadLocalBook(tx, exchange, { trades: [], open_orders: [] });
  return balanceMismatches(
    local.wallets,
    book,
    (asset, mine, theirs) => `${asset}: after booking the trades the database holds ${mine}, the exchange ${theirs}.`,
  ).filter((d) => !flagged.has(d.asset));
}

/** Equity from the exchange's balances: the quote asset, plus every asset trader can price in it. */
export function equityOf(book: ExchangeBook, quote: string): number {
  let equity = book.balances[quote] ?? 0;
  for (const m of Object.values(book.markets))
    if (m.quote === quote && m.base !== quote) equity += (book.balances[m.base] ?? 0) * m.price;
  return equity;
}

/** Equity, peak and drawdown from the reconciled balances; their changes audited field by field. */
async function recomputeEquity(tx: Queryable, cycleId: string, book: ExchangeBook, now: Date): Promise<number> {
  const before = await loadState(tx, live, { forUpdate: true });
  const equity = equityOf(book, before.quote_currency);
  const peak = Math.max(before.peak_equity, equity);
  const drawdown = drawdownPct(peak, equity);
  await updateState(tx, live, { equity, peak_equity: peak, drawdown_pct: drawdown, equity_as_of: now });
  const changes = {
    equity: [before.equity, equity],
    peak_equity: [before.peak_equity, peak],
    drawdown_pct: [before.drawdown_pct, drawdown],
  };
  for (const [field, [o, n]] of Object.entries(changes))
    if (!sameAmount(o!, n!))
      await auditReconcile(tx, {
        action_type: 'RECONCILE_UPDATE',
        status: 'INFO',
        entity_type: live.table('state'),
        entity_id: '1',
        details: { cycle_id: cycleId, table: live.table('state'), id: '1', field, old_value: o, new_value: n },
      });
  return equity;
}

/** Halts LIVE trading for the account (unless a reconciliation halt is on already), audited CRITICAL. */
async function haltAccount(tx: Queryable, cycleId: string, exchange: string, unexplained: Difference[]): Promise<void> {
  const state = await loadState(tx, live, { forUpdate: true });
  const reason = `${reconciliationHaltPrefix}: ${unexplained.length} unexplained difference(s) with ${exchange}; review them with \`trader reconcile\`, resolve with \`trader reconcile --accept\``;
  // An emergency halt stays as it is (it needs `trader halt clear`); the open differences halt again after it.
  if (!isReconciliationHalt(state.halt_reason) && !state.emergency)
    await updateState(tx, live, { halted: true, halt_reason: reason, halted_at: new Date() });
  await auditReconcile(tx, {
    action_type: 'LIVE_HALTED_RECONCILIATION',
    status: 'CRITICAL',
    entity_type: 'live_account',
    entity_id: exchange,
    details: {
      cycle_id: cycleId,
      reason,
      differences: unexplained.map((d) => d.detail),
      previous_halt: state.halt_reason,
    },
  });
}

export async function actOnPlan(
  tx: Queryable,
  o: { cycleId: string; exchange: string; plan: ReconcilePlan; book: ExchangeBook; extra: Difference[]; now: Date },
): Promise<ActResult> {
  const { plan, book, exchange, cycleId } = o;
  const symbols = [...new Set(plan.adoptions.map((a) => a.trade.symbol))];
  const positionIds = [...new Set(plan.adoptions.map((a) => a.position_id).filter((p) => p !== null))].map(String);
  const assets = [...new Set([...Object.keys(book.balances), ...symbols.flatMap((s) => Object.values(assetsOf(s)))])];
  const orderIds = [
    ...new Set(plan.adoptions.map((a) => a.client_order_id ?? manualOrderId(exchange, a.trade.exchange_order_id))),
  ];
  const before = {
    positions: await rowImage(tx, 'positions', positionIds),
    wallets: await rowImage(tx, 'wallets', assets),
    orders: await rowImage(tx, 'orders', orderIds),
  };

  const manualQty = new Map<string, number>();
  for (const a of plan.adoptions)
    if (!a.client_order_id)
      manualQty.set(a.trade.exchange_order_id, (manualQty.get(a.trade.exchange_order_id) ?? 0) + a.trade.qty);
  const differences = [...plan.differences, ...o.extra];
  for (const a of plan.adoptions) {
    const dust = await adopt(tx, exchange, a, book, manualQty);
    if (dust) differences.push(dust);
  }
  const touched = [...new Set([...positionIds, ...(await openPositionIds(tx, exchange))])];
  await auditRowChanges(tx, cycleId, 'positions', before.positions, await rowImage(tx, 'positions', touched));
  await auditRowChanges(tx, cycleId, 'wallets', before.wallets, await rowImage(tx, 'wallets', assets));
  await auditRowChanges(tx, cycleId, 'orders', before.orders, await rowImage(tx, 'orders', orderIds));
  differences.push(...(await residualMismatches(tx, exchange, book, plan)));

  await insertDifferences(tx, cycleId, exchange, differences);
  for (const d of differences)
    await auditReconcile(tx, {
      action_type: 'RECONCILE_DIFFERENCE',
      status: d.explained ? 'INFO' : 'CRITICAL',
      entity_type: 'live_account',
      entity_id: exchange,
      details: { cycle_id: cycleId, ...d },
    });
  const unexplained = differences.filter((d) => !d.explained);
  if (unexplained.length > 0) await haltAccount(tx, cycleId, exchange, unexplained);
  const equity = await recomputeEquity(tx, cycleId, book, o.now);
  return { differences, adopted: plan.adoptions.length, halted: unexplained.length > 0, equity };
}

async function openPositionIds(tx: Queryable, exchange: string): Promise<string[]> {
  const rows = await tx.query<{ id: string }>(
    `select position_id::text as id from ${live.table('positions')} where exchange = $1 and status = 'open'`,
    [exchange],
  );
  return rows.map((r) => r.id);
}
