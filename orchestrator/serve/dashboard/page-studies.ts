import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { Metrics } from '../../../backtest/backtest-types.ts';
import { StudyReport } from '../../../optimise/study-outcome.ts';
import type { StrategyReport } from '../../../optimise/study-report.ts';
import { listStudies, loadStudy, loadTrials, type TrialRow } from '../../../optimise/study-repo.ts';
import type { ServerDeps } from '../route-types.ts';
import { jsonBlock } from './chart-data.ts';
import { fixed, num, pct, when } from './format.ts';
import { chartHead } from './page-backtests.ts';
import { render } from './render.ts';
import type { DashboardEnv } from './session-guard.ts';
import { dataTable } from './table.ts';

/** Optimiser studies: the list, and one study's trial scatter, best parameters and walk-forward table per strategy. */

const ret = (m: Metrics | null) => (m ? pct(m.total_return_pct) : '-');
const dd = (m: Metrics | null) => (m ? pct(m.max_drawdown_pct) : '-');

function walkForward(s: StrategyReport) {
  return dataTable({
    caption: `${s.strategy_id}: walk-forward windows`,
    headers: [
      'Window',
      'Fit on',
      'Tested on',
      'Trials',
      'Feasible',
      'In-sample score',
      'Test return',
      'Test drawdown',
      'Buy & hold',
    ],
    rows: s.windows.map(
      (w) =>
        html`<tr>
          <td class="num">${w.index + 1}</td>
          <td>${w.fit.from.slice(0, 10)} to ${w.fit.to.slice(0, 10)}</td>
          <td>${w.test.from.slice(0, 10)} to ${w.test.to.slice(0, 10)}</td>
          <td class="num">${w.trials}</td>
          <td class="num">${w.feasible}</td>
          <td class="num">${fixed(w.in_sample_score, 3)}</td>
          <td class="num">${ret(w.out_of_sample)}</td>
          <td class="num">${dd(w.out_of_sample)}</td>
          <td class="num">${pct(w.buy_and_hold_pct)}</td>
        </tr>`,
    ),
    empty: 'No window finished yet.',
  });
}

function strategySection(s: StrategyReport, i: number) {
  const params = Object.entries(s.best?.params ?? {});
  return html`<section aria-labelledby="h-s${i}">
    <h2 id="h-s${i}">${s.strategy_id}</h2>
    <p>
      Out of sample (the test windows chained): ${ret(s.out_of_sample)}, max drawdown ${dd(s.out_of_sample)}, against
      buy & hold
      ${pct(s.buy_and_hold_pct)}${s.incumbent ? `; what traded then: ${ret(s.incumbent.out_of_sample)}` : ''};
      walk-forward efficiency
      ${num(s.walk_forward_efficiency)}${
        s.overfitting ? `; deflated Sharpe ${fixed(s.overfitting.deflated_sharpe)}` : ''
      }.
    </p>
    ${dataTable({
      caption: 'Best parameters (the last window’s winner)',
      headers: ['Parameter', 'Value', 'Importance'],
      rows: params.map(
        ([k, v]) =>
          html`<tr>
            <td>${k}</td>
            <td class="num">${typeof v === 'number' ? num(v) : String(v)}</td>
            <td class="num">${fixed(s.importance.find((x) => x.name === k)?.importance)}</td>
          </tr>`,
      ),
      empty: 'No feasible parameters.',
    })}
    ${walkForward(s)}
    <div id="scatter-${i}" class="chart" role="img" aria-label="${s.strategy_id}: each trial's score by trial"></div>
  </section>`;
}

/** Trial scores in the order they ran, one series per strategy: uPlot's x must ascend. */
function scatters(trials: readonly TrialRow[], strategies: readonly string[]) {
  return strategies.map((id, i) => {
    const mine = trials.filter((t) => t.strategy_id === id);
    return { el: `scatter-${i}`, label: `${id} score`, x: mine.map((_, n) => n + 1), y: mine.map((t) => t.score) };
  });
}

export function mountStudyPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/studies', async (c) => {
    const rows = await listStudies(deps.db, 50);
    return render(c, deps, {
      title: 'Optimiser studies',
      active: '/ui/studies',
      body: dataTable({
        headers: ['Created', 'Status', 'Strategies', 'Markets', 'Trials done'],
        rows: rows.map(
          (s) =>
            html`<tr>
              <td><a href="/ui/studies/${s.study_id}">${when(s.created_at)}</a></td>
              <td class="status-${s.status}">${s.status}</td>
              <td>${s.request.strategies.join(', ')}</td>
              <td>${s.request.symbols.join(', ')} ${s.request.timeframe}</td>
              <td class="num">${s.trials_done}</td>
            </tr>`,
        ),
        empty: html`No studies yet: start one with <code>trader optimise</code>.`,
      }),
    });
  });

  app.get('/ui/studies/:id', async (c) => {
    const study = await loadStudy(deps.db, c.req.param('id'));
    const trials = await loadTrials(deps.db, study.study_id);
    const report = study.report ? StudyReport.parse(study.report) : null;
    const strategies = report?.strategies ?? [];
    return render(c, deps, {
      title: `Study ${study.study_id.slice(0, 8)}`,
      active: '/ui/studies',
      head: chartHead,
      body: html`<p>
          ${study.status}: ${study.request.strategies.join(', ')} on ${study.request.symbols.join(', ')}
          ${study.request.timeframe}; ${trials.length} trials stored${study.error ? `; ${study.error}` : ''}.
        </p>
        ${
          report
            ? html`${strategies.map(strategySection)}
              ${dataTable({
                caption: 'Outcome',
                headers: ['Strategy', 'Version', 'Markets', 'Why'],
                rows: report.proposals.map(
                  (p) =>
                    html`<tr>
                      <td>${p.strategy_id}</td>
                      <td class="num">${p.version ?? '-'} ${p.status ?? ''}</td>
                      <td>${p.markets.join(', ') || 'all'}</td>
                    </tr>`,
                ),
                empty: 'No outcome recorded.',
              })}`
            : html`<p>The report is written when the study ends; the trials so far are below.</p>
                <div id="scatter-0" class="chart" role="img" aria-label="Each trial's score by trial"></div>`
        }
        ${jsonBlock('chart-data', {
          scatters: scatters(
            trials,
            report ? strategies.map((s) => s.strategy_id) : [...new Set(trials.map((t) => t.strategy_id))].slice(0, 1),
          ),
        })}`,
    });
  });
}
