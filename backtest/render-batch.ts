import type { BatchOutcome } from './backtest-batch.ts';
import { day, lookaheadFailed, metricHead, metricRow, num, requestLines, table } from './render-report.ts';
import type { BacktestReport } from './report-schema.ts';

/** The plain-text result of `trader backtest --each` (here or on workers): one row per symbol. */

/** The columns of a symbol's row: what compares markets at a glance; `backtest show <id>` has the rest. */
const shown = new Set(['trades', 'win', 'net P&L', 'return', 'max DD', 'Sharpe', 'PF', 'exp. R']);
const pick = (cells: string[]) => cells.filter((_, i) => shown.has(metricHead[i]!));

/** What a symbol's row cannot show: an emergency halt, module errors, its look-ahead check. */
function notes(r: BacktestReport): string[] {
  const s = r.request.symbols.join(', ');
  const out: string[] = [];
  if (r.halt)
    out.push(
      `!!! ${s}: emergency halt at ${day(r.halt.at)} (drawdown ${num(r.halt.drawdown_pct)}%); no new trades after it.`,
    );
  const errors = r.module_errors.reduce((n, e) => n + e.count, 0);
  if (errors > 0) out.push(`${s}: module errors on ${errors} bar(s); see trader backtest show ${r.backtest_id}`);
  const l = r.lookahead;
  if (l)
    out.push(
      lookaheadFailed(r)
        ? `!!! ${s}: look-ahead check FAILED: ${l.differences} of ${l.sampled} sampled decisions differ, ${l.peeks} read(s) past the decision time; see trader backtest show ${r.backtest_id}`
        : `${s}: look-ahead check passed (${l.sampled} sampled decisions).`,
    );
  return out;
}

export function renderBatch(b: BatchOutcome): string {
  const total = b.backtests.length + b.failed.length;
  const out = [`Batch ${b.batch_id}: ${total} backtest(s), each symbol on an account of its own`];
  const first = b.backtests[0];
  if (first) {
    out.push(...requestLines(first.request, 'Each'), '');
    out.push(
      table(
        ['symbol', 'backtest', ...pick(metricHead)],
        b.backtests.map((r) => [r.request.symbols.join(', '), r.backtest_id, ...pick(metricRow('', r.total))]),
      ),
    );
  }
  const noted = b.backtests.flatMap(notes);
  if (noted.length > 0) out.push('', ...noted);
  if (b.failed.length > 0)
    out.push('', `${b.failed.length} of ${total} failed:`, ...b.failed.map((f) => `  ${f.symbol}: ${f.error}`));
  if (first) out.push('', `Show one: trader backtest show ${first.backtest_id} --trades 20`);
  return out.join('\n');
}
