import { bounds } from '../../../core/bounds.ts';
import { assertWritableFile } from '../../../core/usable-dir.ts';
import fs from 'node:fs';
import { prewarmSandbox } from '../../../sandbox/probe.ts';
import type { Command } from 'commander';
import { parseUtcTime } from '../../../core/time.ts';
import { defaultPipelineId } from '../../../registry/default-pack.ts';
import { RiskProfileName } from '../../../trading/state-repo.ts';
import { listBacktests, loadBacktest } from '../../../backtest/backtest-repo.ts';
import { lookaheadFailed, renderReport } from '../../../backtest/render-report.ts';
import { backtestEach } from './backtest-each.ts';
import { runBacktest } from '../../../backtest/run-backtest.ts';
import {
  action,
  badInput,
  moneyAmount,
  output,
  splitList,
  wholeNumber,
  withDb,
  withJson,
  type JsonFlag,
} from '../command-kit.ts';
import { stoppableAction } from '../command-kit.ts';
import { registerListCommand } from '../list-command.ts';
import { progressBar } from '../progress-bar.ts';
import { quote } from '../../../core/quote.ts';

interface BacktestFlags extends JsonFlag {
  symbols: string;
  timeframe: string;
  from: string;
  to: string;
  strategy?: string;
  pipeline: string;
  exchange: string;
  equity: string;
  feeBps: string;
  slippageBps: string;
  history: string;
  riskProfile?: string;
  out?: string;
  checkLookahead?: string | true;
  trades: string;
  each?: boolean;
  distributed?: boolean;
}

function amount(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw badInput(`${flag} must be a non-negative number, not ${quote(value)}.`);
  return n;
}

export function registerBacktestCommands(program: Command): void {
  // Positional options: `backtest show <id> --json` is the subcommand's --json, not the replay's.
  const backtest = withJson(program.command('backtest').enablePositionalOptions())
    .description(
      'replay history through the registered pipeline on a simulated clock; fills, metrics, ratings, stored with the run',
    )
    .option('--symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT')
    .option('--from <date>', 'first bar (UTC), e.g. 2023-01-01')
    .option('--to <date>', 'end (UTC, exclusive), e.g. 2024-01-01')
    .option('--timeframe <tf>', 'candle timeframe', '1h')
    .option('--strategy <id>', 'a strategy from strategy_config')
    .option('--pipeline <id>', 'pipeline_config pipeline id', defaultPipelineId)
    .option('--exchange <id>', 'exchange whose cached candles to replay', 'binance')
    .option('--equity <amount>', 'starting equity in the quote currency', '10000')
    .option('--fee-bps <n>', 'fee per fill in basis points (10 = the highest Binance spot taker tier, 0.1%)', '10')
    .option('--slippage-bps <n>', 'adverse slippage per fill in basis points', '5')
    .option(
      '--history <bars>',
      "bars of history before --from that modules see at the first decision, as `trader run --history` (raised to the plan's recorded warm-up)",
      '500',
    )
    .option('--risk-profile <name>', "low, medium or high (default: the TEST account's active profile)")
    .option(
      '--check-lookahead [samples]',
      're-decide this many sampled bars per symbol (50 when no number is given) on candles cut at the bar and report any difference',
    )
    .option('--trades <n>', 'list the last n trades in the report', '0')
    .option('--out <file>', 'also write the report, trades and equity curves to this JSON file')
    .option(
      '--each',
      'one backtest per symbol, each on an account of its own (without it the symbols share one account), several at once (at most one per core); one row per symbol',
    )
    .option(
      '--distributed',
      "with --each: each symbol's backtest is a job for `trader worker` processes (Postgres only); the same rows once they are done",
    )
    .addHelpText(
      'after',
      "\nExamples:\n  $ trader backtest --symbols BTC/USDT,ETH/USDT --from 2024-01-01 --to 2024-07-01 --strategy breakout\n  $ trader backtest --symbols BTC/USDT --from 2024-03-01 --to 2024-04-01 --check-lookahead 100\n  $ trader backtest --symbols BTC/USDT,ETH/USDT,SOL/USDT --from 2024-01-01 --to 2024-07-01 --each --distributed\n  $ trader backtest show <id> --trades 20\n\nExit codes: 0 done, 1 the look-ahead check failed (--each: or a symbol's backtest failed), 2 bad input or config.",
    )
    .action(
      stoppableAction(async (flags: BacktestFlags) => {
        if (!flags.symbols || !flags.from || !flags.to)
          throw badInput(
            'Give --symbols, --from and --to, e.g. trader backtest --symbols BTC/USDT --from 2024-01-01 --to 2024-04-01.',
          );
        const profile = flags.riskProfile === undefined ? undefined : RiskProfileName.safeParse(flags.riskProfile);
        if (profile && !profile.success)
          throw badInput(`--risk-profile must be low, medium or high, not ${quote(flags.riskProfile)}.`);
        const samples =
          flags.checkLookahead === undefined
            ? 0
            : flags.checkLookahead === true
              ? 50
              : wholeNumber(flags.checkLookahead, '--check-lookahead', 1, bounds.lookaheadSamples);
        const showTrades = wholeNumber(flags.trades, '--trades', 0, bounds.listRows);
        if (flags.distributed && !flags.each)
          throw badInput(
            '--distributed runs one backtest per symbol, each on an account of its own: add --each (without it the symbols share one account, in one replay here).',
          );
        if (flags.each && showTrades > 0)
          throw badInput(
            "--trades lists one backtest's trades: with --each, see each with `trader backtest show <id> --trades n`.",
          );
        const options = {
          symbols: splitList(flags.symbols),
          exchange: flags.exchange,
          timeframe: flags.timeframe,
          from: parseUtcTime(flags.from, '--from'),
          to: parseUtcTime(flags.to, '--to'),
          pipelineId: flags.pipeline,
          strategyId: flags.strategy ?? null,
          initialEquity: moneyAmount(flags.equity, '--equity'),
          feeBps: amount(flags.feeBps, '--fee-bps'),
          slippageBps: amount(flags.slippageBps, '--slippage-bps'),
          historyBars: wholeNumber(flags.history, '--history', 1, bounds.historyBars),
          riskProfile: profile?.data,
        };
        // Checked before the replay: a report that cannot be written must not cost a backtest and a stored row.
        if (flags.out) assertWritableFile(flags.out, '--out');
        if (flags.each) return backtestEach(flags, options, samples);
        prewarmSandbox();
        const result = await withDb('backtest', (db) =>
          runBacktest(db, options, {
            onProgress: progressBar(!flags.json && process.stderr.isTTY === true, 'bars'),
            lookaheadSamples: samples,
          }),
        );
        const lookahead = result.report.lookahead;
        if (flags.out)
          fs.writeFileSync(
            flags.out,
            `${JSON.stringify({ report: result.report, trades: result.trades, curves: Object.fromEntries(result.curves), lookahead }, null, 2)}\n`,
          );
        output(flags, { ok: true, report: result.report }, () =>
          renderReport(result.report, result.trades, showTrades),
        );
        return lookaheadFailed(result.report) ? 1 : 0;
      }),
    );

  withJson(backtest.command('show <id>'))
    .description('print a stored backtest report')
    .option('--trades <n>', 'also list the last n trades', '0')
    .action(
      action(async (id: string, opts: JsonFlag & { trades: string }) => {
        const n = wholeNumber(opts.trades, '--trades', 0, bounds.listRows);
        const stored = await withDb('backtest show', (db) => loadBacktest(db, id));
        output(opts, { ok: true, report: stored.report, trades: stored.trades }, () =>
          renderReport(stored.report, stored.trades, n),
        );
      }),
    );

  registerListCommand(backtest, {
    key: 'backtests',
    load: listBacktests,
    empty: 'No backtests yet; run one with `trader backtest --symbols BTC/USDT --from 2024-01-01 --to 2024-04-01`.',
    header: ['id', 'created', 'symbols', 'timeframe', 'period', 'strategy', 'trades', 'return', 'max DD'],
    row: (r) => [
      String(r.backtest_id),
      r.created_at.toISOString().slice(0, 16),
      r.symbols.join(','),
      r.timeframe,
      `${r.from.slice(0, 10)}..${r.to.slice(0, 10)}`,
      r.strategy_id ?? 'pipeline',
      String(r.trades),
      `${r.total_return_pct.toFixed(2)}%`,
      `${r.max_drawdown_pct.toFixed(2)}%`,
    ],
  });
}
