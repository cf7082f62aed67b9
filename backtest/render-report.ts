import type { BacktestTrade, Metrics } from './backtest-types.ts';
import type { BacktestReport, BacktestRequest } from './report-schema.ts';

/** The plain-text report `trader backtest` prints on a terminal (and `backtest show`). */

export const num = (x: number | null, digits = 2) =>
  x === null ? 'n/a' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (x: number | null) => (x === null ? 'n/a' : `${num(x)}%`);
export const day = (iso: string | number) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ');

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export const metricRow = (label: string, m: Metrics): string[] => [
  label,
  String(m.trades),
  pct(m.win_rate_pct),
  num(m.net_pnl),
  pct(m.total_return_pct),
  pct(m.annualized_return_pct),
  pct(m.max_drawdown_pct),
  num(m.sharpe),
  num(m.sortino),
  num(m.calmar),
  num(m.profit_factor),
  num(m.expectancy_r),
  num(m.avg_rr),
  pct(m.exposure_pct),
];
export const metricHead = [
  '',
  'trades',
  'win',
  'net P&L',
  'return',
  'annual',
  'max DD',
  'Sharpe',
  'Sortino',
  'Calmar',
  'PF',
  'exp. R',
  'avg R:R',
  'exposure',
];

/** Whether a report's look-ahead check (when asked for) found a difference or a read past its bar. */
export const lookaheadFailed = (r: BacktestReport) =>
  r.lookahead !== null && r.lookahead.differences + r.lookahead.peeks > 0;

/** What was replayed (`what`: the symbols, by default) and on which settings: two lines. */
export const requestLines = (q: BacktestRequest, what = q.symbols.join(', ')): string[] => [
  `${what} ${q.timeframe} from ${day(q.from)} to ${day(q.to)} UTC, ${q.strategy_id ? `strategy ${q.strategy_id}` : `pipeline ${q.pipeline_id}`}`,
  `Risk profile ${q.risk_profile}, leverage ${q.leverage}x, fee ${q.fee_bps} bps, slippage ${q.slippage_bps} bps, ${q.history_bars} bars of history, emergency action ${q.halt_action}`,
];

export function renderReport(r: BacktestReport, trades: readonly BacktestTrade[] = [], showTrades = 0): string {
  const q = r.request;
  const out: string[] = [
    `Backtest ${r.backtest_id}`,
    ...requestLines(q),
    `Equity ${num(r.initial_equity)} -> ${num(r.final_equity)}; ${r.bars_evaluated.toLocaleString('en-US')} symbol-bars decided in ${(r.replay_ms / 1000).toFixed(1)} s (${r.bars_per_second.toLocaleString('en-US')} bars/s)`,
    '',
    table(metricHead, [metricRow('total', r.total), ...r.symbols.map((s) => metricRow(s.symbol, s.metrics))]),
    '',
    table(
      ['decisions', 'trade intent', 'no trade', 'blocked', 'error', 'refused by gate', 'entry skipped'],
      r.symbols.map((s) => [
        s.symbol,
        String(s.decisions.trade_intent ?? 0),
        String(s.decisions.no_trade ?? 0),
        String(s.decisions.blocked ?? 0),
        String(s.decisions.error ?? 0),
        String(s.refused_by_gate),
        String(s.entries_skipped),
      ]),
    ),
  ];
  const sb = r.same_bar_exits;
  if (sb.finer + sb.stop_first > 0)
    out.push(
      '',
      `Stop and target inside one bar: ${sb.finer} resolved on finer candles, ${sb.stop_first} assumed stop first (no finer candles cached).`,
    );
  if (r.halt)
    out.push(
      '',
      `!!! Emergency halt at ${day(r.halt.at)}: drawdown ${num(r.halt.drawdown_pct)}% passed the profile's limit (${r.halt.action}); no new trades after it.`,
    );
  if (r.gate_refusals.length > 0)
    out.push(
      '',
      'Risk gate refusals (most frequent):',
      ...r.gate_refusals.slice(0, 5).map((g) => `  ${g.count} x ${g.reason}`),
    );
  if (r.module_errors.length > 0) {
    out.push(
      '',
      'Module errors:',
      ...r.module_errors.map(
        (e) =>
          `  ${e.module_id}: ${e.count} bar(s)${e.lookahead > 0 ? `, ${e.lookahead} LOOK-AHEAD read(s)` : ''}; first: ${e.first}`,
      ),
    );
  }
  if (r.lookahead) {
    const l = r.lookahead;
    out.push(
      '',
      !lookaheadFailed(r)
        ? `Look-ahead check: ${l.sampled} sampled decisions re-run on candles cut at their bar: 0 differences, no read past the decision time.`
        : `!!! Look-ahead check FAILED: ${l.differences} of ${l.sampled} sampled decisions differ on candles cut at their bar; ${l.peeks} read(s) past the decision time.`,
      ...l.findings.map((f) => `  ${f.kind} ${f.symbol} ${f.at}: ${f.detail}`),
    );
  }
  if (r.ratings.length > 0) {
    out.push('', 'Performance ratings (trades each module version produced or passed):');
    out.push(
      table(
        ['module', 'stage', 'trades', 'win', 'PF', 'exp. R', 'net P&L'],
        r.ratings.map((x) => [
          `${x.module_id}@${x.version}`,
          x.stage,
          String(x.trades),
          pct(x.win_rate_pct),
          num(x.profit_factor),
          num(x.expectancy_r),
          num(x.net_pnl),
        ]),
      ),
    );
  }
  if (showTrades > 0 && trades.length > 0) {
    const shown = trades.slice(-showTrades);
    out.push('', `Last ${shown.length} of ${trades.length} trades:`);
    out.push(
      table(
        ['#', 'symbol', 'side', 'entry', 'at', 'exit', 'at', 'why', 'P&L', 'R'],
        shown.map((t) => [
          String(t.trade_no),
          t.symbol,
          t.side,
          num(t.entry_price, 4),
          day(t.entry_ts),
          num(t.exit_price, 4),
          day(t.exit_ts),
          t.exit_reason,
          num(t.pnl),
          num(t.r_multiple),
        ]),
      ),
    );
  }
  out.push('', `Show it again: trader backtest show ${r.backtest_id}${showTrades > 0 ? '' : ' --trades 20'}`);
  return out.join('\n');
}
