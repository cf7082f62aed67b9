import type { Hono } from 'hono';
import { html } from 'hono/html';
import { recentOrders, type LiveOrder } from '../../../trading/live/orders-repo.ts';
import { portfolioSnapshot, type PositionMark } from '../../../trading/portfolio.ts';
import { listTrades, Trade } from '../../../trading/positions-repo.ts';
import { accountRecord, RECORD_CLOSED_LIMIT } from '../../../trading/account-record.ts';
import { metricsTable } from './metrics-table.ts';
import { MarketSymbol } from '../../../sdk/context-schemas.ts';
import { z } from 'zod';
import { tradingTx } from '../../../trading/scope.ts';
import type { ServerDeps } from '../route-types.ts';
import { money, num, when } from './format.ts';
import { Day, dayAfter, dayStart, inputField, opt, queryOf, selectField } from './filters.ts';
import { render } from './render.ts';
import type { DashboardEnv } from './session-guard.ts';
import { dataTable } from './table.ts';

/**
 * The seed's "Performance & Trades" and open-positions views: each open position marked at
 * the newest closed candle (what `trader positions` shows), the newest trades with their
 * realised P&L and fees, and in LIVE the orders on the exchange with their state.
 */

const TradeQuery = z.object({
  symbol: opt(MarketSymbol),
  side: opt(z.enum(['buy', 'sell'])),
  kind: opt(Trade.shape.kind),
  since: opt(Day),
  until: opt(Day),
});

const signed = (x: number) => `${x >= 0 ? '+' : ''}${num(Number(x.toFixed(2)))}`;

const positionRow = (p: PositionMark) =>
  html`<tr>
    <td>${p.symbol}</td>
    <td>${p.side}</td>
    <td class="num">${num(p.open_qty)}</td>
    <td class="num">${num(p.entry_price)}</td>
    <td class="num">${num(p.last_price)}</td>
    <td class="num ${p.unrealized_pnl < 0 ? 'alarm' : ''}">${signed(p.unrealized_pnl)}</td>
    <td class="num">${num(p.stop_price)}</td>
    <td class="num ${p.leverage > 1 ? 'alarm' : ''}">${num(p.leverage)}x</td>
    <td class="num">${num(p.margin)}</td>
    <td class="num">${num(p.open_risk)}</td>
    <td>${when(p.price_as_of)}</td>
  </tr>`;

const tradeRow = (t: Trade) =>
  html`<tr>
    <td>${when(t.ts)}</td>
    <td>${t.symbol}</td>
    <td>${t.side}</td>
    <td>${t.kind}</td>
    <td class="num">${num(t.qty)}</td>
    <td class="num">${num(t.price)}</td>
    <td class="num">${num(t.fee)} ${t.fee_asset}</td>
    <td class="num ${t.realized_pnl < 0 ? 'alarm' : ''}">${t.kind === 'entry' ? '' : signed(t.realized_pnl)}</td>
    <td>#${t.position_id}</td>
  </tr>`;

const orderRow = (o: LiveOrder) =>
  html`<tr>
    <td>${when(o.created_at)}</td>
    <td>${o.symbol}</td>
    <td>${o.role}</td>
    <td>${o.side} ${o.type}</td>
    <td class="num">${num(o.filled_qty)} / ${num(o.qty)}</td>
    <td class="num">${num(o.avg_price ?? o.price ?? o.stop_price)}</td>
    <td class="${o.state === 'REJECTED' || o.state === 'RECONCILED_UNKNOWN' ? 'alarm' : ''}">${o.state}</td>
    <td>${o.last_error ?? ''}</td>
  </tr>`;

/** Open positions marked to market: on this page and the overview. */
export const openPositionsTable = (positions: readonly PositionMark[]) =>
  dataTable({
    headers: [
      'Asset',
      'Side',
      'Quantity',
      'Entry',
      'Price',
      'Unrealised P&L',
      'Stop',
      'Leverage',
      'Margin',
      'Open risk',
      'Priced at',
    ],
    rows: positions.map(positionRow),
    empty: 'No open positions.',
  });

export function mountPositionPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  const { db, scope } = deps;
  app.get('/ui/positions', async (c) => {
    const q = queryOf(c.req.query(), TradeQuery);
    const { snapshot, trades, orders, record } = await tradingTx(db, scope, async (tx) => ({
      snapshot: await portfolioSnapshot(tx, scope, deps.clock()),
      trades: await listTrades(tx, scope, { ...q, since: dayStart(q.since), until: dayAfter(q.until), limit: 200 }),
      orders: scope.mode === 'LIVE' ? await recentOrders(tx, scope, 50) : [],
      record: await accountRecord(tx, scope, deps.clock()),
    }));
    return render(c, deps, {
      title: `Positions & trades (${scope.mode})`,
      active: '/ui/positions',
      body: html`<p>
          Equity ${money(snapshot.equity, snapshot.currency)}, of which free cash
          ${money(snapshot.free_balance, snapshot.currency)}; marked at the newest closed candle as of
          ${when(snapshot.as_of)}.
        </p>
        <section aria-labelledby="h-open">
          <h2 id="h-open">Open positions</h2>
          ${openPositionsTable(snapshot.positions)}
        </section>
        ${
          scope.mode === 'LIVE'
            ? html`<section aria-labelledby="h-orders">
                <h2 id="h-orders">Orders on the exchange</h2>
                ${dataTable({
                  headers: ['Created', 'Asset', 'Role', 'Order', 'Filled', 'Price', 'State', 'Last error'],
                  rows: orders.map(orderRow),
                  empty: 'No orders yet.',
                })}
              </section>`
            : ''
        }
        <section aria-labelledby="h-record">
          <h2 id="h-record">Record (${scope.mode === 'LIVE' ? 'LIVE' : 'paper'})</h2>
          <p>
            Return, drawdown, Sharpe and Sortino from the portfolio's value, one point a day over ${record.days} day(s),
            annualised as in a backtest; trades, win rate, profit factor and P&L (after fees, in ${snapshot.currency})
            of the newest ${num(RECORD_CLOSED_LIMIT)} closed positions.
          </p>
          ${metricsTable(record.metrics)}
        </section>
        <section aria-labelledby="h-trades">
          <h2 id="h-trades">Trades</h2>
          <form method="get" class="filters" aria-label="Filter the trades">
            ${inputField('symbol', 'Asset', q)} ${selectField('side', 'Action', ['buy', 'sell'], q)}
            ${selectField('kind', 'Kind', Trade.shape.kind.options, q)} ${inputField('since', 'From', q, 'date')}
            ${inputField('until', 'To', q, 'date')}
            <button type="submit">Filter</button>
            <a href="/ui/positions">Clear</a>
          </form>
          ${dataTable({
            headers: ['Time', 'Asset', 'Side', 'Kind', 'Quantity', 'Price', 'Fee', 'Realised P&L', 'Position'],
            rows: trades.map(tradeRow),
            empty: 'No trades match.',
          })}
        </section>`,
    });
  });
}
