import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errorMessage, isTraderError } from '../../../core/errors.ts';
import type { Db, Queryable } from '../../../store/db.ts';
import { noLiveAccount, loadLiveAccount } from '../../live-account/live-account-repo.ts';
import { tradingTx } from '../../scope.ts';
import { loadState } from '../../state-repo.ts';
import { type ExchangePort, isExchangeFault } from '../exchange-port.ts';
import { finalStates, unresolvedOrders } from '../orders-repo.ts';
import { RecoveredOrder, recoverOrders } from '../recover-orders.ts';
import { actOnPlan } from './act.ts';
import { compareBooks } from './compare.ts';
import { exchangeTotals, type Gathered, gatherExchange, type GatherTarget } from './gather.ts';
import {
  auditReconcile,
  live,
  loadLocalBook,
  loadMarketRows,
  type MarketRow,
  saveMarketRow,
  wholeExchange,
} from './reconcile-repo.ts';
import { Difference } from './reconcile-types.ts';
import { auditRowChanges, rowImage } from './row-changes.ts';

/**
 * One reconciliation cycle of the LIVE account (issue 15, item 5):
 * 1. orders not settled yet are looked up by client id (recover-orders.ts): their state and
 *    fills adopted, or RECONCILED_UNKNOWN when the exchange does not know them;
 * 2. gather: balances, and per market (open positions, unsettled orders, held assets,
 *    markets seen before) its open orders and its trade history since the last check;
 * 3. compare (pure): the fills the database lacks, and every difference;
 * 4. act, in ONE transaction: book the fills, track dust, record and audit every
 *    difference and update, halt LIVE on an unexplained one, recompute equity and drawdown
 *    from the reconciled balances, move each market's history cursor.
 * An exchange that does not answer costs that market (or, for the balances, the exchange)
 * a failure; `failureLimit` failures in a row halt it, loudly, until it answers again.
 */

export const ReconcileReport = z.object({
  cycle_id: z.string(),
  exchange: z.string(),
  checked_at: z.date(),
  /** reconciled: all explained; halted: an unexplained difference halted LIVE; unreachable: the balances could not be read. */
  outcome: z.enum(['reconciled', 'halted', 'unreachable']),
  adopted: z.number().int(),
  differences: z.array(Difference),
  unexplained: z.number().int(),
  recovered: z.array(RecoveredOrder),
  /** Markets (symbol '*': the exchange as a whole) that failed this cycle or are halted. */
  failing_markets: z.array(
    z.object({ symbol: z.string(), failures: z.number(), halted: z.boolean(), error: z.string().nullable() }),
  ),
  /** The exchange's totals per asset this cycle (empty when unreachable). */
  balances: z.record(z.string(), z.number()),
  equity: z.number().nullable(),
});
export type ReconcileReport = z.infer<typeof ReconcileReport>;

export interface ReconcileOptions {
  now?: () => Date;
  /** Failures in a row after which a market (or the exchange) is halted (default 3). */
  failureLimit?: number;
}

/** The markets to look at: open positions, unsettled orders, assets held in the quote, markets seen before. */
async function targets(tx: Queryable, exchange: string, balances: Record<string, number>, since: Date) {
  const { quote_currency: quote } = await loadState(tx, live);
  const symbols = await tx.query<{ symbol: string }>(
    `select symbol from ${live.table('positions')} where exchange = $1 and status = 'open'
     union select symbol from ${live.table('orders')} where exchange = $1 and not (state in (select jsonb_array_elements_text($2::text::jsonb)))
     union select symbol from ${live.schema}.reconcile_markets where exchange = $1 and symbol <> $3`,
    [exchange, JSON.stringify(finalStates), wholeExchange],
  );
  const wallets = await tx.query<{ asset: string }>(`select asset from ${live.table('wallets')} where balance > 0`);
  const held = [...Object.keys(balances), ...wallets.map((w) => w.asset)].filter((a) => a !== quote);
  const all = [...new Set([...symbols.map((s) => s.symbol), ...held.map((a) => `${a}/${quote}`)])].sort();
  const rows = new Map((await loadMarketRows(tx, exchange)).map((r) => [r.symbol, r]));
  return all.map((symbol): GatherTarget => ({ symbol, since: rows.get(symbol)?.trades_since ?? since }));
}

/** A market the exchange has none of (a held asset with no market in the quote) is not a failure. */
function withoutUnknownMarkets(g: Gathered): Gathered {
  const unknown = g.failed.filter((f) => / has no spot market /.test(f.error)).map((f) => f.symbol);
  if (unknown.length === 0) return g;
  const unchecked = new Set(g.failed.filter((f) => !unknown.includes(f.symbol)).flatMap((f) => f.symbol.split('/')));
  return {
    ...g,
    failed: g.failed.filter((f) => !unknown.includes(f.symbol)),
    book: { ...g.book, unchecked_assets: [...unchecked].sort() },
  };
}

async function countFailure(
  tx: Queryable,
  o: { cycleId: string; exchange: string; symbol: string; error: string; now: Date; limit: number },
): Promise<Pick<MarketRow, 'failures' | 'halted_at' | 'last_error'>> {
  const before = (await loadMarketRows(tx, o.exchange)).find((r) => r.symbol === o.symbol);
  const failures = (before?.failures ?? 0) + 1;
  const halt = failures >= o.limit && !before?.halted_at;
  const row = {
    exchange: o.exchange,
    symbol: o.symbol,
    failures,
    last_error: o.error.slice(0, 500),
    halted_at: halt ? o.now : (before?.halted_at ?? null),
  };
  await saveMarketRow(tx, row);
  if (halt)
    await auditReconcile(tx, {
      action_type: 'LIVE_MARKET_HALTED',
      status: 'CRITICAL',
      entity_type: 'market',
      entity_id: `${o.exchange}:${o.symbol}`,
      details: { cycle_id: o.cycleId, exchange: o.exchange, symbol: o.symbol, failures, error: row.last_error },
    });
  return row;
}

async function markAnswered(
  tx: Queryable,
  o: { cycleId: string; exchange: string; symbol: string; since: Date | null; now: Date },
): Promise<void> {
  const before = await saveMarketRow(tx, {
    exchange: o.exchange,
    symbol: o.symbol,
    last_checked_at: o.now,
    failures: 0,
    last_error: null,
    halted_at: null,
    ...(o.since ? { trades_since: o.since } : {}),
  });
  if (before?.halted_at)
    await auditReconcile(tx, {
      action_type: 'LIVE_MARKET_RESUMED',
      status: 'WARNING',
      entity_type: 'market',
      entity_id: `${o.exchange}:${o.symbol}`,
      details: {
        cycle_id: o.cycleId,
        exchange: o.exchange,
        symbol: o.symbol,
        halted_since: before.halted_at.toISOString(),
      },
    });
}

function recoveryDifferences(recovered: RecoveredOrder[]): Difference[] {
  return recovered
    .filter((r) => r.outcome === 'reconciled_unknown')
    .map((r) => ({
      kind: 'order_unknown' as const,
      explained: true,
      symbol: null,
      asset: null,
      local_value: null,
      exchange_value: null,
      detail: `Order ${r.client_order_id} is RECONCILED_UNKNOWN: ${r.detail ?? 'the exchange does not know it'}`,
    }));
}

async function cycleAudit(tx: Queryable, report: ReconcileReport): Promise<void> {
  await auditReconcile(tx, {
    action_type: 'RECONCILE_CYCLE',
    status: report.outcome === 'reconciled' ? 'SUCCESS' : report.outcome === 'halted' ? 'CRITICAL' : 'FAILURE',
    entity_type: 'live_account',
    entity_id: report.exchange,
    details: {
      cycle_id: report.cycle_id,
      outcome: report.outcome,
      adopted: report.adopted,
      differences: report.differences.length,
      unexplained: report.unexplained,
      recovered: report.recovered.length,
      failing_markets: report.failing_markets,
      equity: report.equity,
    },
  });
}

export async function reconcileAccount(
  db: Db,
  port: ExchangePort,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const now = (options.now ?? (() => new Date()))();
  const limit = options.failureLimit ?? 3;
  const account = await tradingTx(db, live, loadLiveAccount);
  if (!account) throw noLiveAccount();
  const exchange = port.exchange;
  const cycleId = randomUUID();
  const base = {
    cycle_id: cycleId,
    exchange,
    checked_at: now,
    adopted: 0,
    differences: [],
    unexplained: 0,
    equity: null,
  };

  // What recovery changes on the orders is audited field by field like every other update.
  const unsettled = (await tradingTx(db, live, (tx) => unresolvedOrders(tx, live, exchange))).map(
    (o) => o.client_order_id,
  );
  const ordersBefore = await tradingTx(db, live, (tx) => rowImage(tx, 'orders', unsettled));
  const recovered = await recoverOrders(db, live, port);
  await tradingTx(db, live, async (tx) =>
    auditRowChanges(tx, cycleId, 'orders', ordersBefore, await rowImage(tx, 'orders', unsettled)),
  );
  let gathered: Gathered;
  try {
    const balances = await exchangeTotals(port);
    const list = await tradingTx(db, live, (tx) => targets(tx, exchange, balances, account.initialised_at));
    gathered = withoutUnknownMarkets(await gatherExchange(port, list, balances));
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    return tradingTx(db, live, async (tx) => {
      const row = await countFailure(tx, {
        cycleId,
        exchange,
        symbol: wholeExchange,
        error: errorMessage(e),
        now,
        limit,
      });
      const report = ReconcileReport.parse({
        ...base,
        outcome: 'unreachable',
        recovered,
        failing_markets: [
          { symbol: wholeExchange, failures: row.failures, halted: row.halted_at !== null, error: row.last_error },
        ],
        balances: {},
      });
      await cycleAudit(tx, report);
      return report;
    });
  }
  const extra = recoveryDifferences(recovered);
  const context = { cycleId, exchange, now, limit, recovered, base };
  try {
    return await tradingTx(db, live, (tx) => settle(tx, { ...context, gathered, extra }));
  } catch (e) {
    // A booking the database refuses (a wallet that would go below zero) is itself unexplained.
    if (!isTraderError(e) || e.code !== 'HALTED') throw e;
    const refused: Difference = {
      kind: 'balance_mismatch',
      explained: false,
      symbol: null,
      asset: null,
      local_value: null,
      exchange_value: null,
      detail: e.message,
    };
    // Nothing is booked then, and no history cursor moves: the next cycle tries those trades again.
    const unbooked: Gathered = {
      ...gathered,
      book: { ...gathered.book, trades: [] },
      newest_trade: Object.fromEntries(Object.keys(gathered.newest_trade).map((s) => [s, null])),
    };
    return tradingTx(db, live, (tx) => settle(tx, { ...context, gathered: unbooked, extra: [...extra, refused] }));
  }
}

async function settle(
  tx: Queryable,
  o: {
    cycleId: string;
    exchange: string;
    gathered: Gathered;
    extra: Difference[];
    now: Date;
    limit: number;
    recovered: RecoveredOrder[];
    base: Omit<ReconcileReport, 'outcome' | 'recovered' | 'failing_markets' | 'balances'>;
  },
): Promise<ReconcileReport> {
  const { book } = o.gathered;
  const local = await loadLocalBook(tx, o.exchange, book);
  const plan = compareBooks(local, book);
  const acted = await actOnPlan(tx, {
    cycleId: o.cycleId,
    exchange: o.exchange,
    plan,
    book,
    extra: o.extra,
    now: o.now,
  });
  await markAnswered(tx, { cycleId: o.cycleId, exchange: o.exchange, symbol: wholeExchange, since: null, now: o.now });
  for (const [symbol, newest] of Object.entries(o.gathered.newest_trade))
    await markAnswered(tx, { ...o, symbol, since: newest ? new Date(newest.getTime() + 1) : null });
  const failing = [];
  for (const f of o.gathered.failed) {
    const row = await countFailure(tx, { ...o, symbol: f.symbol, error: f.error });
    failing.push({ symbol: f.symbol, failures: row.failures, halted: row.halted_at !== null, error: row.last_error });
  }
  const unexplained = acted.differences.filter((d) => !d.explained).length;
  const report = ReconcileReport.parse({
    ...o.base,
    outcome: acted.halted ? 'halted' : 'reconciled',
    adopted: acted.adopted,
    differences: acted.differences,
    unexplained,
    recovered: o.recovered,
    failing_markets: failing,
    balances: book.balances,
    equity: acted.equity,
  });
  await cycleAudit(tx, report);
  return report;
}
