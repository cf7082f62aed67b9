import { html } from 'hono/html';
import type { Metrics } from '../../../backtest/backtest-types.ts';
import { fixed, num, pct } from './format.ts';

/** A backtest's metrics, or the account's record in the same terms (page-positions.ts). */
export function metricsTable(m: Metrics) {
  const rows: [string, string][] = [
    ['Total return', pct(m.total_return_pct)],
    ['Max drawdown', pct(m.max_drawdown_pct)],
    ['Trades', String(m.trades)],
    ['Win rate', m.win_rate_pct === null ? '-' : pct(m.win_rate_pct)],
    ['Profit factor', fixed(m.profit_factor)],
    ['Expectancy', m.expectancy_r === null ? '-' : `${m.expectancy_r.toFixed(2)} R`],
    ['Sharpe', fixed(m.sharpe)],
    ['Sortino', fixed(m.sortino)],
    ['Net P&L', num(m.net_pnl)],
    ['Fees', num(m.fees)],
  ];
  return html`<dl class="facts metrics">
    ${rows.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v}</dd>`,
    )}
  </dl>`;
}
