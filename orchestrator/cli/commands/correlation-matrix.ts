import type { Command } from 'commander';
import { returnMatrixReport } from '../../../analysis/return-matrix-report.ts';
import { decisionTime } from '../../../core/time.ts';
import { action, output, splitList, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { renderHeatmap, useColour } from '../correlation-heatmap.ts';

/**
 * `trader correlation matrix`: the rolling return correlation of held and candidate
 * markets, on stored candles only. The same measure feeds the risk gate's opt-in
 * correlated-cluster rule (`trader risk edit <profile> --cluster-cap`).
 */

interface MatrixFlags extends JsonFlag {
  symbols: string;
  window: string;
  timeframe: string;
  exchange: string;
  asOf?: string;
}

export function registerCorrelationMatrixCommand(group: Command): void {
  withJson(group.command('matrix'))
    .description('rolling return correlation of several markets, a heatmap on a terminal (stored candles only)')
    .requiredOption('--symbols <list>', 'two or more comma-separated symbols, e.g. BTC/USDT,ETH/USDT,SOL/USDT')
    .option('--window <span>', 'returns measured over this span before --as-of: 90d, 12w or 720h', '90d')
    .option('--timeframe <tf>', 'candle timeframe', '1h')
    .option('--exchange <id>', 'exchange whose stored candles to use', 'binance')
    .option('--as-of <iso>', 'only candles closed by this UTC time (default: the newest stored close)')
    .addHelpText(
      'after',
      [
        '',
        'Example:',
        '  $ trader correlation matrix --symbols BTC/USDT,ETH/USDT,SOL/USDT --window 90d',
        '',
        'Pearson correlation of one-bar log returns over the bars both markets have; a pair with fewer than',
        '20 shared bars shows n/a with the reason. Colours on a terminal only (NO_COLOR turns them off).',
        'Exit codes: 0 printed, 2 bad input or a symbol without stored candles.',
      ].join('\n'),
    )
    .action(
      action(async (flags: MatrixFlags) => {
        const asOf = flags.asOf === undefined ? undefined : decisionTime(flags.asOf, '--as-of', new Date());
        const request = {
          exchange: flags.exchange,
          timeframe: flags.timeframe,
          symbols: splitList(flags.symbols),
          window: flags.window,
          ...(asOf ? { asOf } : {}),
        };
        const doc = await withDb('correlation matrix', (db) => returnMatrixReport(db, request));
        output(flags, doc, () => renderHeatmap(doc, useColour()));
      }),
    );
}
