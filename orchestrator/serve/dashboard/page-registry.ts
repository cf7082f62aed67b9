import type { Hono } from 'hono';
import { html } from 'hono/html';
import { latestRatings, ratedMetrics, type LatestRating } from '../../../backtest/ratings.ts';
import { candleCoverage, type CandleCoverage } from '../../../market/candles-repo.ts';
import { parseTimeframe } from '../../../market/timeframes.ts';
import { listModules } from '../../../registry/registry-repo.ts';
import type { RegistryRow } from '../../../registry/rows.ts';
import { listScheduleViews, type ScheduleListing } from '../../schedule/schedule-view.ts';
import type { ServerDeps } from '../route-types.ts';
import { fixed, num, when } from './format.ts';
import { render } from './render.ts';
import type { DashboardEnv } from './session-guard.ts';
import { dataTable } from './table.ts';

/**
 * What the system is made of and runs on: the module registry with each module's gate
 * result and its newest performance ratings, stored candle history per market and how
 * fresh it is, and the schedules with their next and last ticks.
 */

function gateCell(m: RegistryRow) {
  const g = m.gate;
  if (!g) return html`<td>not checked</td>`;
  if (g.status === 'failed') return html`<td class="alarm">failed: ${g.reasons.join('; ')}</td>`;
  return html`<td>
    passed ${g.checked_at.slice(0, 10)}: deterministic, no look-ahead, warm-up ${g.warmup_bars ?? '?'} bars
  </td>`;
}

function moduleRow(m: RegistryRow, ratings: Map<string, LatestRating>) {
  const r = (metric: (typeof ratedMetrics)[number]) =>
    ratings.get(`${m.module_id}\u0000${m.version}\u0000${metric}`)?.value;
  return html`<tr class="${m.is_active ? '' : 'inactive'}">
    <td>${m.module_id}</td>
    <td>${m.version}</td>
    <td>${m.logic_type}</td>
    <td>${m.is_active ? 'active' : 'inactive'}</td>
    ${gateCell(m)}
    <td class="num">${num(r('trades'))}</td>
    <td class="num">${fixed(r('win_rate_pct'), 1)}</td>
    <td class="num">${fixed(r('profit_factor'))}</td>
    <td class="num">${fixed(r('expectancy_r'))}</td>
  </tr>`;
}

/** Fresh: the newest candle opened within two bars of now. */
function coverageRow(c: CandleCoverage, now: number) {
  const bar = parseTimeframe(c.timeframe);
  const behind = Math.floor((now - c.last_ts) / bar) - 1;
  const expected = Math.floor((c.last_ts - c.first_ts) / bar) + 1;
  const missing = Math.max(0, expected - c.rows);
  return html`<tr>
    <td>${c.exchange}</td>
    <td>${c.symbol}</td>
    <td>${c.timeframe}</td>
    <td>${when(new Date(c.first_ts))}</td>
    <td>${when(new Date(c.last_ts))}</td>
    <td class="num">${c.rows}</td>
    <td class="num ${missing > 0 ? 'warn' : ''}">${missing}</td>
    <td class="${behind > 1 ? 'warn' : ''}">${behind > 1 ? `${behind} bars behind` : 'fresh'}</td>
  </tr>`;
}

const scheduleRow = (s: ScheduleListing) =>
  html`<tr>
    <td>${s.name ?? `#${s.schedule_id}`}</td>
    <td><code>${s.cron}</code> ${s.timezone}</td>
    <td>${s.system_mode}</td>
    <td>
      ${s.job === 'optimise' ? 'optimiser study' : s.job === 'run' ? `${s.pipeline_id}${s.strategy_id ? `/${s.strategy_id}` : ''}` : s.job}
    </td>
    <td>${s.symbols.join(', ')}</td>
    <td>${when(new Date(s.next_tick))}</td>
    <td class="${s.last_tick?.status === 'failed' ? 'alarm' : ''}">
      ${s.last_tick ? `${s.last_tick.status} ${when(new Date(s.last_tick.tick))}${s.last_tick.error ? `: ${s.last_tick.error}` : ''}` : 'none yet'}
    </td>
  </tr>`;

export function mountRegistryPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/system', async (c) => {
    const now = deps.clock();
    const [modules, ratings, coverage, schedules] = await Promise.all([
      listModules(deps.db),
      latestRatings(deps.db),
      candleCoverage(deps.db),
      listScheduleViews(deps.db, now),
    ]);
    const byKey = new Map(ratings.map((r) => [`${r.module_id}\u0000${r.module_version}\u0000${r.metric_name}`, r]));
    return render(c, deps, {
      title: 'Modules, data & schedules',
      active: '/ui/system',
      body: html`<section aria-labelledby="h-modules">
          <h2 id="h-modules">Module registry</h2>
          ${dataTable({
            headers: [
              'Module',
              'Version',
              'Stage',
              'State',
              'Registration gates',
              'Trades',
              'Win %',
              'Profit factor',
              'Expectancy R',
            ],
            rows: modules.map((m) => moduleRow(m, byKey)),
            empty: html`No modules registered: run <code>trader db seed</code>.`,
          })}
          <p class="legend">
            Ratings: the newest backtest that rated each module version (<code>trader backtest</code>).
          </p>
        </section>
        <section aria-labelledby="h-data">
          <h2 id="h-data">Data health per market</h2>
          ${dataTable({
            headers: ['Exchange', 'Market', 'Timeframe', 'First', 'Last', 'Candles', 'Missing', 'Freshness'],
            rows: coverage.map((cv) => coverageRow(cv, now.getTime())),
            empty: html`No candles stored: <code>trader data import</code> or <code>trader data fetch</code>.`,
          })}
        </section>
        <section aria-labelledby="h-schedules">
          <h2 id="h-schedules">Schedules</h2>
          ${dataTable({
            headers: ['Schedule', 'When', 'Mode', 'Job', 'Markets', 'Next tick', 'Last tick'],
            rows: schedules.map(scheduleRow),
            empty: html`No schedules: <code>trader schedule add</code>.`,
          })}
        </section>`,
    });
  });
}
