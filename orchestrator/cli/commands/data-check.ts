import type { Command } from 'commander';
import { prompter } from '../../../core/prompt.ts';
import { findBadCandles, type DataCheckReport } from '../../../market/data-check.ts';
import { fixBadCandles } from '../../data-fix.ts';
import { action, output, splitList, withDb, withJson, type JsonFlag } from '../command-kit.ts';

interface CheckFlags extends JsonFlag {
  symbols?: string;
  fix?: boolean;
  yes?: boolean;
}

/** Bad rows listed per market on a terminal; --json lists up to 1000. */
const shownPerMarket = 10;

function render(report: DataCheckReport, removed: number | null): string {
  const head = `checked ${report.checked.candles} candles in ${report.checked.markets} market(s)`;
  if (report.bad === 0) return `${head}: no bad or off-grid candles.`;
  const lines = [`${head}: ${report.bad} bad or off-grid candle(s).`];
  for (const m of report.markets) {
    lines.push(`${m.exchange} ${m.symbol} ${m.timeframe}: ${m.bad}`);
    const rows = report.rows.filter(
      (r) => r.exchange === m.exchange && r.symbol === m.symbol && r.timeframe === m.timeframe,
    );
    for (const r of rows.slice(0, shownPerMarket)) {
      const v = r.values;
      lines.push(`  ${r.time}  o ${v.open} h ${v.high} l ${v.low} c ${v.close} v ${v.volume}: ${r.problem}`);
    }
    if (m.bad > shownPerMarket) lines.push(`  ... and ${m.bad - shownPerMarket} more`);
  }
  lines.push(
    removed === null
      ? 'Remove them with `trader data check --fix` (asks first), then import or fetch those candles again.'
      : `Removed ${removed} candle(s) (audited as CANDLES_REMOVED); import or fetch them again to fill the gaps.`,
  );
  return lines.join('\n');
}

export function registerDataCheckCommand(data: Command): void {
  withJson(data.command('check'))
    .description(
      'find stored candles no decision may rest on (a NaN, infinite, zero or negative price or volume, a high/low that does not contain open and close, an open time off the grid); --fix removes them',
    )
    .option('--symbols <list>', 'only these symbols, e.g. BTC/USDT,ETH/USDT')
    .option('--fix', 'remove the bad rows in one transaction, audited, after confirmation')
    .option('--yes', 'confirm --fix without asking (for scripts)')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader data check --symbols BTC/USDT\n  $ trader data check --fix --yes\n\nExit codes: 0 no bad rows (or all removed), 1 bad rows remain, 2 bad input or a declined confirmation.',
    )
    .action(
      action(async (flags: CheckFlags) => {
        const filter = flags.symbols === undefined ? {} : { symbols: splitList(flags.symbols) };
        const { report, removed } = await withDb(
          'data check',
          async (db): Promise<{ report: DataCheckReport; removed: number | null }> =>
            flags.fix
              ? fixBadCandles(db, filter, (question) => prompter.confirm(question, flags.yes))
              : { report: await findBadCandles(db, filter), removed: null },
        );
        const remaining = report.bad - (removed ?? 0);
        output(flags, { ok: remaining === 0, ...report, removed: removed ?? 0 }, () => render(report, removed));
        return remaining === 0 ? 0 : 1;
      }),
    );
}
