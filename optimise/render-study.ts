import type { Metrics } from '../backtest/backtest-types.ts';
import type { StudyReport } from './study-outcome.ts';
import type { StrategyReport } from './study-report.ts';

/** The plain-text study report `trader optimise` and `optimise show` print: out of sample first, always. */

const num = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}%`);
const day = (iso: string) => iso.slice(0, 10);

function grid(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const brief = (m: Metrics | null) =>
  m
    ? `${pct(m.total_return_pct)} (DD ${pct(m.max_drawdown_pct)}, ${m.trades} trades)`
    : 'no trade (no feasible winner)';

function strategyText(s: StrategyReport, objective: string): string {
  const o = s.out_of_sample;
  const lines = [
    `Strategy ${s.strategy_id}`,
    `  OUT OF SAMPLE (windows chained): return ${pct(o.total_return_pct)}, annualised ${pct(o.annualized_return_pct)}, max drawdown ${pct(o.max_drawdown_pct)}, ${objective} ${num(objective === 'expectancy' ? o.expectancy_r : o[objective as 'sharpe'])}, ${o.trades} trades, win ${pct(o.win_rate_pct)}`,
    `  buy-and-hold on the same windows: ${pct(s.buy_and_hold_pct)}`,
    ...(s.incumbent
      ? [
          `  what trades now (${s.incumbent.version === null ? 'its configured rows' : `version ${s.incumbent.version}`}) on the same windows: ${brief(s.incumbent.out_of_sample)}`,
        ]
      : []),
    `  in-sample mean annualised ${pct(s.in_sample_mean_annualized_pct)}; walk-forward efficiency ${num(s.walk_forward_efficiency)} (out-of-sample / in-sample; near 1 holds up, near 0 or below was fitted to noise)`,
    s.overfitting
      ? `  overfitting: deflated Sharpe ${num(s.overfitting.deflated_sharpe, 3)} over ${s.overfitting.trials} feasible trials: ${s.overfitting.verdict.toUpperCase()}`
      : '  overfitting: not measured (no feasible winner in the last window)',
    '',
    grid(
      ['window', 'fit', 'test', 'trials', 'feasible', 'in-sample', 'out-of-sample', 'buy & hold', 'DSR'],
      s.windows.map((w) => [
        String(w.index + 1),
        `${day(w.fit.from)}..${day(w.fit.to)}`,
        `${day(w.test.from)}..${day(w.test.to)}`,
        String(w.trials),
        String(w.feasible),
        w.in_sample ? pct(w.in_sample.total_return_pct) : 'n/a',
        brief(w.out_of_sample),
        pct(w.buy_and_hold_pct),
        w.overfitting ? num(w.overfitting.deflated_sharpe, 2) : 'n/a',
      ]),
    ),
  ];
  if (s.best) {
    lines.push('', `  parameters proposed (window ${s.best.window + 1}'s winner, trial ${s.best.trial}):`);
    for (const [k, v] of Object.entries(s.best.params))
      lines.push(`    ${k} = ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`);
  }
  if (s.importance.length > 0)
    lines.push(
      '',
      `  what mattered (share of score variance): ${s.importance
        .slice(0, 5)
        .map((i) => `${i.name} ${(i.importance * 100).toFixed(0)}%`)
        .join(', ')}`,
    );
  return lines.join('\n');
}

export function renderStudy(r: StudyReport): string {
  const q = r.request;
  const head = [
    `Study ${r.study_id} (${q.system_mode})`,
    `  ${q.strategies.join(', ')} on ${q.symbols.join(', ')} ${q.timeframe}, ${day(q.from)}..${day(q.to)}; target profile ${q.profile} (drawdown limit ${q.max_drawdown_pct}%)`,
    `  ${q.method} x ${q.trials} trials per strategy, ${q.windows} ${q.mode} walk-forward window(s), objective ${q.objective}, at least ${q.min_trades} trades, seed ${q.seed}, ${q.workers} worker(s), ${(r.duration_ms / 1000).toFixed(0)} s`,
    `  leverage: ${r.leverage}`,
  ];
  const ranking =
    r.ranking.length > 1
      ? [
          '',
          `Ranking out of sample: ${r.ranking.map((x, i) => `${i + 1}. ${x.strategy_id} (${num(x.score)})`).join(', ')}`,
        ]
      : [];
  const assignment =
    r.strategies.length > 1
      ? [
          '',
          'Per market, out of sample (each market traded alone):',
          grid(
            ['market', ...r.strategies.map((s) => s.strategy_id), 'best'],
            r.assignment.map((a) => [
              a.symbol,
              ...r.strategies.map((s) => num(a.scores[s.strategy_id])),
              a.strategy_id ?? 'none feasible',
            ]),
          ),
        ]
      : [];
  const proposals = r.proposals.flatMap((p) => {
    const line =
      p.version === null
        ? `  ${p.strategy_id}: nothing proposed (${p.reason})`
        : `  ${p.strategy_id} version ${p.version}: ${p.status}${p.markets.length ? ` for ${p.markets.join(', ')}` : ''} (${p.reason})`;
    if (!p.comparison) return [line];
    const { incumbent: inc, candidate_score } = p.comparison;
    return [
      line,
      `    final score: winner ${num(candidate_score, 3)} vs now ${num(inc.final_score, 3)} (backtest ${num(inc.backtest_score, 3)}, live ${num(inc.live.score, 3)} at weight ${inc.live.weight}: ${inc.live.note})`,
    ];
  });
  return [
    ...head,
    ...r.strategies.flatMap((s) => ['', strategyText(s, q.objective)]),
    ...ranking,
    ...assignment,
    '',
    'Outcome:',
    ...proposals,
    '',
    'In-sample figures only show how much a fit shrinks on unseen data; the out-of-sample record is the result.',
  ].join('\n');
}
