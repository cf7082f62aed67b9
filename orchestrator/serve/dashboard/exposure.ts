import { html } from 'hono/html';
import type { PortfolioSnapshot } from '../../../trading/portfolio.ts';
import type { RiskProfile } from '../../../trading/state-repo.ts';
import { num, pct } from './format.ts';
import { dataTable } from './table.ts';

/**
 * Where the equity is: each asset's value (margin plus unrealised P&L) and the free cash as
 * shares of equity, and the planned risk of each instrument category against the profile's
 * cap, which is what the risk gate checks before an entry. The bars are <meter> elements:
 * drawn by the browser, read by screen readers, and allowed by a CSP without inline styles.
 */

const share = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);

const bar = (value: number, max: number, label: string, high?: number) =>
  html`<meter
    min="0"
    max="${max}"
    value="${Math.min(value, max)}"
    ${high === undefined ? '' : html`high="${high}"`}
    aria-label="${label}"
  >
    ${pct(value)}
  </meter>`;

export function exposureSection(snapshot: PortfolioSnapshot, profile: RiskProfile) {
  const byAsset = new Map<string, number>();
  for (const p of snapshot.positions) byAsset.set(p.symbol, (byAsset.get(p.symbol) ?? 0) + p.value);
  const assets = [...byAsset.entries()].sort((a, b) => b[1] - a[1]);
  const riskByCategory = new Map<string, number>();
  for (const p of snapshot.positions)
    riskByCategory.set(p.category, (riskByCategory.get(p.category) ?? 0) + p.risk_amount);
  const cap = profile.category_cap_pct;
  return html`<h3>Allocation</h3>
    ${dataTable({
      headers: ['Holding', `Value (${snapshot.currency})`, 'Share of equity', ''],
      rows: [...assets, ['Free cash', snapshot.free_balance] as [string, number]].map(([name, value]) => {
        const s = share(value, snapshot.equity);
        return html`<tr>
          <td>${name}</td>
          <td class="num">${num(Number(value.toFixed(2)))}</td>
          <td class="num">${pct(s)}</td>
          <td>${bar(s, 100, `${name}: ${pct(s)} of equity`)}</td>
        </tr>`;
      }),
      empty: 'Nothing held.',
    })}
    <h3>Risk by category</h3>
    ${dataTable({
      headers: ['Category', `Planned risk (${snapshot.currency})`, 'Of equity', `Against the ${profile.profile} cap`],
      rows: [...riskByCategory.entries()].map(([category, risk]) => {
        const s = share(risk, snapshot.equity);
        return html`<tr>
          <td>${category}</td>
          <td class="num">${num(Number(risk.toFixed(2)))}</td>
          <td class="num ${s > cap ? 'alarm' : ''}">${pct(s)}</td>
          <td>
            ${bar(s, cap, `${category}: ${pct(s)} of equity at risk, cap ${pct(cap)}`, cap * 0.75)} cap ${pct(cap)}
          </td>
        </tr>`;
      }),
      empty: 'No open risk.',
    })}`;
}
