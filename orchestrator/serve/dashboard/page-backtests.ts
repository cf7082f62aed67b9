import type { Hono } from 'hono';
import { html } from 'hono/html';
import { type BacktestListRow, listBacktests, loadBacktest } from '../../../backtest/backtest-repo.ts';
import { dataTable } from './table.ts';
import { loadCandleRange } from '../../../market/candles-repo.ts';
import type { ServerDeps } from '../route-types.ts';
import { metricsTable } from './metrics-table.ts';
import { chartCandles, equitySeries, jsonBlock, tradeMarks } from './chart-data.ts';
import { num, pct, when } from './format.ts';
import { render } from './render.ts';
import type { DashboardEnv } from './session-guard.ts';

/** Stored backtests, and one with its metrics, its equity and drawdown, and its trades on the candles. */

/** The chart libraries and our script that draws with them (backtests and studies). */
export const chartHead = html`<link rel="stylesheet" href="/ui/assets/uPlot.min.css" />
  <script src="/ui/assets/uPlot.iife.min.js" defer></script>
  <script src="/ui/assets/lightweight-charts.js" defer></script>
  <script src="/ui/assets/charts.js" defer></script>`;

const backtestRow = (b: BacktestListRow) =>
  html`<tr>
    <td><a href="/ui/backtests/${b.backtest_id}">${when(b.created_at)}</a></td>
    <td>${b.symbols.join(', ')} ${b.timeframe}</td>
    <td>${b.from.slice(0, 10)} to ${b.to.slice(0, 10)}</td>
    <td>${b.strategy_id ?? '-'}</td>
    <td class="num">${b.trades}</td>
    <td class="num">${pct(b.total_return_pct)}</td>
    <td class="num">${pct(b.max_drawdown_pct)}</td>
  </tr>`;

export function mountBacktestPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/backtests', async (c) => {
    const rows = await listBacktests(deps.db, 50);
    return render(c, deps, {
      title: 'Backtests',
      active: '/ui/backtests',
      body: dataTable({
        headers: ['Created', 'Markets', 'Span', 'Strategy', 'Trades', 'Return', 'Max drawdown'],
        rows: rows.map(backtestRow),
        empty: html`No backtests yet: run one with <code>trader backtest</code>.`,
      }),
    });
  });

  app.get('/ui/backtests/:id', async (c) => {
    const { report, trades, curves } = await loadBacktest(deps.db, c.req.param('id'));
    const r = report.request;
    const asked = c.req.query('symbol');
    const symbol = asked && r.symbols.includes(asked) ? asked : r.symbols[0]!;
    const candles = await loadCandleRange(
      deps.db,
      { exchange: r.exchange, symbol, timeframe: r.timeframe },
      Date.parse(r.from),
      Date.parse(r.to),
    );
    const { bars, bucketOf } = chartCandles(candles);
    const curve = curves.get('*');
    return render(c, deps, {
      title: `Backtest ${report.backtest_id.slice(0, 8)}`,
      active: '/ui/backtests',
      head: chartHead,
      body: html`<p>
          ${r.symbols.join(', ')} ${r.timeframe}, ${r.from.slice(0, 10)} to ${r.to.slice(0, 10)};
          ${r.strategy_id ? `strategy ${r.strategy_id}` : `pipeline ${r.pipeline_id}`}; ${r.risk_profile} profile; fees
          ${r.fee_bps} bps, slippage ${r.slippage_bps} bps; from ${num(report.initial_equity)} to
          ${num(report.final_equity)}.
        </p>
        ${metricsTable(report.total)}
        <section aria-labelledby="h-equity">
          <h2 id="h-equity">Equity and drawdown</h2>
          <div
            id="equity-chart"
            class="chart"
            role="img"
            aria-label="Equity curve and drawdown of the whole account"
          ></div>
        </section>
        <section aria-labelledby="h-candles">
          <h2 id="h-candles">${symbol}: entries, exits and stops</h2>
          ${
            r.symbols.length > 1
              ? html`<form method="get" class="filters">
                  <label for="symbol">Market</label>
                  <select id="symbol" name="symbol">
                    ${r.symbols.map((s) => html`<option ${s === symbol ? 'selected' : ''}>${s}</option>`)}
                  </select>
                  <button type="submit">Show</button>
                </form>`
              : ''
          }
          <div id="candle-chart" class="chart" role="img" aria-label="${symbol} candles with the trades marked"></div>
          <p class="legend">
            Blue arrows: entries; circles: exits (green a profit, red a loss); dashed orange: each trade's stop. Candle
            chart by <a href="https://www.tradingview.com/lightweight-charts/">TradingView Lightweight Charts™</a>,
            equity chart by uPlot.
          </p>
        </section>
        ${jsonBlock('chart-data', {
          equity: curve ? equitySeries(curve) : null,
          candles: bars,
          trades: tradeMarks(
            trades.filter((t) => t.symbol === symbol),
            bucketOf,
          ),
        })}`,
    });
  });
}
