import type { Command } from 'commander';
import { quote } from '../../../core/quote.ts';
import { parseUtcTime } from '../../../core/time.ts';
import { ExportKind } from '../../export/export-kinds.ts';
import { type ExportJob, runExports } from '../../export/export.ts';
import { ExportFormat } from '../../export/row-format.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/** `trader export`: trades, runs, the audit trail or a backtest's trades as CSV or JSON lines (orchestrator/export/). */

interface ExportFlags extends JsonFlag {
  from?: string;
  to?: string;
  format: string;
  mode?: string;
  out?: string;
}

const modesOf = (raw: string | undefined): ExportJob['modes'] => {
  if (raw === undefined) return ['TEST', 'LIVE'];
  const m = raw.toUpperCase();
  if (m !== 'TEST' && m !== 'LIVE') throw badInput(`--mode must be test or live, not ${quote(raw)}.`);
  return [m];
};

/** Reads the flags into one export job; every refusal is one sentence, before the database is opened. */
function exportJob(kindRaw: string, id: string | undefined, f: ExportFlags): ExportJob {
  const kind = ExportKind.safeParse(kindRaw);
  if (!kind.success)
    throw badInput(`There is no export ${quote(kindRaw)}: choose trades, runs, audit or backtest <id>.`);
  if (kind.data === 'backtest' && !id)
    throw badInput('Name the backtest: trader export backtest <id> (`trader backtest list` shows the ids).');
  if (kind.data !== 'backtest' && id)
    throw badInput(`trader export ${kind.data} takes no id, but was given ${quote(id)}.`);
  const format = ExportFormat.safeParse(f.format);
  if (!format.success) throw badInput(`--format must be csv or jsonl, not ${quote(f.format)}.`);
  if (f.mode !== undefined && kind.data !== 'trades') throw badInput('--mode applies to trader export trades only.');
  if (f.json && !f.out) throw badInput('--json needs --out: without it the export itself is what goes to stdout.');
  const from = f.from === undefined ? undefined : parseUtcTime(f.from, '--from');
  const to = f.to === undefined ? undefined : parseUtcTime(f.to, '--to');
  if (from && to && from >= to) throw badInput('--from must be before --to.');
  return { kind: kind.data, format: format.data, from, to, modes: modesOf(f.mode), backtestId: id, file: f.out };
}

export function registerExportCommand(program: Command): void {
  withJson(program.command('export <kind> [id]'))
    .description(
      'export trades, runs, audit or backtest <id> as RFC 4180 CSV or JSON lines, streamed; trades carry what a tax report needs',
    )
    .option('--from <date>', 'first moment included (UTC), e.g. 2026-01-01')
    .option('--to <date>', 'end (UTC, exclusive), e.g. 2027-01-01')
    .option('--format <format>', 'csv or jsonl', 'csv')
    .option('--mode <mode>', 'trades only: test (paper) or live; both by default, told apart by the mode column')
    .option('--out <file>', 'write to this file (complete or not at all, mode 0600); default: stdout')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ trader export trades --mode live --from 2026-01-01 --to 2027-01-01 --out trades-2026.csv',
        '  $ trader export audit --format jsonl --out audit.jsonl',
        '  $ trader export backtest 3f2c...-uuid > backtest-trades.csv',
        '',
        'trades columns: time_utc, mode, exchange, market, base_asset, quote_asset, side, kind, quantity, price,',
        'value_quote, fee, fee_asset, realized_pnl_quote (before the fee), net_pnl_quote (after it), position_id,',
        'trade_id, exchange_trade_id, run_id. Every export is audited as EXPORT_RUN.',
        'Exit codes: 0 written, 2 bad input or an unknown backtest, 1 the database or disk failed (no file is left).',
      ].join('\n'),
    )
    .action(
      action(async (kind: string, id: string | undefined, flags: ExportFlags) => {
        const job = exportJob(kind, id, flags);
        const [done] = await withDb('export', (db) => runExports(db, [job], { actor: 'USER', stream: process.stdout }));
        if (!done!.file) return;
        output(
          flags,
          { ok: true, ...done },
          () =>
            `exported ${done!.rows} ${done!.kind} rows to ${done!.file} (${done!.bytes} bytes, sha256 ${done!.sha256})`,
        );
      }),
    );
}
