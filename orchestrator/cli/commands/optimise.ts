import type { Command } from 'commander';
import { bounds } from '../../../core/bounds.ts';
import { quote } from '../../../core/quote.ts';
import { parseUtcTime } from '../../../core/time.ts';
import { defaultWorkers } from '../../../backtest/run-many.ts';
import { objectives, type Objective } from '../../../optimise/objective.ts';
import { optimise } from '../../../optimise/optimise.ts';
import { renderStudy } from '../../../optimise/render-study.ts';
import { StudyFile } from '../../../optimise/study-file.ts';
import { StudyReport, studyJson } from '../../../optimise/study-outcome.ts';
import { listStudies, loadStudy } from '../../../optimise/study-repo.ts';
import { StudyMethod, trialsPerWindow } from '../../../optimise/study-request.ts';
import { defaultPipelineId } from '../../../registry/default-pack.ts';
import { prewarmSandbox } from '../../../sandbox/probe.ts';
import { RiskProfileName } from '../../../trading/state-repo.ts';
import { parseFile, readYamlFile } from '../../config-files/yaml-file.ts';
import {
  action,
  badInput,
  moneyAmount,
  output,
  splitList,
  stoppableAction,
  wholeNumber,
  withDb,
  withJson,
  type JsonFlag,
} from '../command-kit.ts';
import { progressBar } from '../progress-bar.ts';
import { registerListCommand } from '../list-command.ts';

interface OptimiseFlags extends JsonFlag {
  strategy?: string;
  symbols?: string;
  from?: string;
  to?: string;
  timeframe: string;
  profile?: string;
  trials: string;
  method: string;
  gridLevels: string;
  walkForward: string;
  mode: string;
  objective: string;
  minTrades: string;
  seed: string;
  workers?: string;
  study?: string;
  pipeline: string;
  exchange: string;
  equity: string;
  feeBps: string;
  slippageBps: string;
  history: string;
  resume?: string;
}

function oneOf<T extends string>(value: string, flag: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw badInput(`${flag} must be ${allowed.join(', ')}, not ${quote(value)}.`);
  return value as T;
}

function basisPoints(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1000)) throw badInput(`${flag} must be between 0 and 1000 basis points.`);
  return n;
}

async function studyOptions(flags: OptimiseFlags) {
  if (!flags.strategy || !flags.symbols || !flags.from || !flags.to)
    throw badInput(
      'Give --strategy, --symbols, --from and --to, e.g. trader optimise --strategy breakout --symbols BTC/USDT --from 2024-01-01 --to 2024-12-01 (or --resume <study id>).',
    );
  return {
    strategies: splitList(flags.strategy),
    symbols: splitList(flags.symbols),
    from: parseUtcTime(flags.from, '--from'),
    to: parseUtcTime(flags.to, '--to'),
    timeframe: flags.timeframe,
    exchange: flags.exchange,
    pipelineId: flags.pipeline,
    profile: flags.profile === undefined ? undefined : oneOf(flags.profile, '--profile', RiskProfileName.options),
    trials: wholeNumber(flags.trials, '--trials', 1, 100_000),
    method: oneOf(flags.method, '--method', StudyMethod.options),
    gridLevels: wholeNumber(flags.gridLevels, '--grid-levels', 2, 50),
    windows: wholeNumber(flags.walkForward, '--walk-forward', 1, 50),
    mode: oneOf(flags.mode, '--mode', ['rolling', 'anchored'] as const),
    objective: oneOf<Objective>(flags.objective, '--objective', objectives),
    minTrades: wholeNumber(flags.minTrades, '--min-trades', 1, 100_000),
    seed: wholeNumber(flags.seed, '--seed', 0, 2 ** 31 - 1),
    workers: flags.workers === undefined ? defaultWorkers() : wholeNumber(flags.workers, '--workers', 1, 64),
    initialEquity: moneyAmount(flags.equity, '--equity'),
    feeBps: basisPoints(flags.feeBps, '--fee-bps'),
    slippageBps: basisPoints(flags.slippageBps, '--slippage-bps'),
    historyBars: wholeNumber(flags.history, '--history', 1, bounds.historyBars),
    studyFile: flags.study ? parseFile(StudyFile, await readYamlFile(flags.study), 'study').strategies : undefined,
    env: process.env,
  };
}

export function registerOptimiseCommands(program: Command): void {
  const cmd = withJson(program.command('optimise').enablePositionalOptions())
    .description(
      'tune strategies walk-forward: parameters fitted in-sample, judged out-of-sample, the winner proposed as a strategy version',
    )
    .option('--strategy <list>', 'strategy id(s) from strategy_config, comma-separated to compare several')
    .option('--symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT')
    .option('--from <date>', 'first bar (UTC), e.g. 2019-01-01')
    .option('--to <date>', 'end (UTC, exclusive), e.g. 2025-01-01')
    .option('--timeframe <tf>', 'candle timeframe', '1h')
    .option('--profile <name>', "target risk profile: low, medium or high (default: this mode's active one)")
    .option('--trials <n>', 'trials per strategy, spread over the walk-forward windows', '100')
    .option('--method <name>', 'tpe, random or grid', 'tpe')
    .option('--grid-levels <n>', 'grid: values per continuous parameter', '5')
    .option('--walk-forward <windows>', 'walk-forward windows (each fits on 3 segments, tests on the next)', '5')
    .option('--mode <mode>', 'rolling (fit on the last 3 segments) or anchored (fit on everything before)', 'rolling')
    .option('--objective <name>', `what a trial maximises: ${objectives.join(', ')}`, 'sortino')
    .option('--min-trades <n>', 'trades a trial needs in its fitting span to be feasible', '20')
    .option('--seed <n>', 'the same seed and workers give the same study, trial for trial', '1')
    .option('--workers <n>', 'trials run side by side, one module worker each (default: one per core)')
    .option('--study <file>', 'a study file: per strategy, the space to search, ties and fixed values')
    .option('--pipeline <id>', 'pipeline_config pipeline id', defaultPipelineId)
    .option('--exchange <id>', 'exchange whose cached candles to replay', 'binance')
    .option('--equity <amount>', 'starting equity of every trial', '10000')
    .option('--fee-bps <n>', 'fee per fill in basis points', '10')
    .option('--slippage-bps <n>', 'adverse slippage per fill in basis points', '5')
    .option('--history <bars>', "bars of warm-up before each span (raised to the plan's recorded warm-up)", '500')
    .option('--resume <study>', 'continue a study that did not finish; its stored trials are not run again')
    .addHelpText(
      'after',
      '\nExamples:\n  $ trader optimise --strategy breakout --symbols BTC/USDT,ETH/USDT --from 2019-01-01 --to 2025-01-01 --trials 500\n  $ trader optimise --strategy trend_following,mean_reversion,breakout --symbols BTC/USDT --from 2023-01-01 --to 2025-01-01\n  $ trader optimise --resume <study id>\n  $ trader optimise show <study id>\n\nExit codes: 0 done, 2 bad input or config, 143 stopped (resume it with --resume).',
    )
    .action(
      stoppableAction(async (flags: OptimiseFlags) => {
        const what = flags.resume ? { resume: flags.resume, env: process.env } : { options: await studyOptions(flags) };
        prewarmSandbox();
        const bar = progressBar(!flags.json && process.stderr.isTTY === true, 'trials');
        const report = await withDb(
          'optimise',
          (db) =>
            optimise(db, what, {
              onStart: (id) => {
                if (!flags.json) process.stderr.write(`study ${id} (resume it with: trader optimise --resume ${id})\n`);
              },
              onProgress: (p) =>
                bar?.(
                  p.done,
                  p.total,
                  `${p.strategy_id} window ${p.window + 1}, best ${p.best === null ? 'none yet' : p.best.toFixed(3)}`,
                ),
            }),
          { share: true },
        );
        output(flags, studyJson(report), () => renderStudy(report));
      }),
    );

  withJson(cmd.command('show <study>'))
    .description('print a stored study: out-of-sample record, walk-forward table, parameters, outcome')
    .action(
      action(async (id: string, opts: JsonFlag) => {
        const row = await withDb('optimise show', (db) => loadStudy(db, id));
        if (row.status !== 'finished' || !row.report)
          throw badInput(
            `Study ${row.study_id} is ${row.status}${row.error ? ` (${row.error})` : ''}; continue it with \`trader optimise --resume ${row.study_id}\`.`,
          );
        const report = StudyReport.parse(row.report);
        output(opts, studyJson(report), () => renderStudy(report));
      }),
    );

  registerListCommand(cmd, {
    key: 'studies',
    load: listStudies,
    empty:
      'No studies yet; run one with `trader optimise --strategy breakout --symbols BTC/USDT --from 2024-01-01 --to 2024-12-01`.',
    header: ['id', 'created', 'status', 'strategies', 'symbols', 'period', 'trials'],
    row: (r) => [
      r.study_id,
      r.created_at.toISOString().slice(0, 16),
      r.status,
      r.request.strategies.join(','),
      r.request.symbols.join(','),
      `${r.request.from.slice(0, 10)}..${r.request.to.slice(0, 10)}`,
      `${r.trials_done}/${trialsPerWindow(r.request) * r.request.windows * r.request.strategies.length}`,
    ],
  });
}
