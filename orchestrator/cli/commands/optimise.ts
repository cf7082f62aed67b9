import type { Command } from 'commander';
import { bounds } from '../../../core/bounds.ts';
import { parseUtcTime } from '../../../core/time.ts';
import { optimise } from '../../../optimise/optimise.ts';
import { renderStudy } from '../../../optimise/render-study.ts';
import { StudyReport, studyJson } from '../../../optimise/study-outcome.ts';
import { listStudies, loadStudy } from '../../../optimise/study-repo.ts';
import { trialsPerWindow } from '../../../optimise/study-request.ts';
import type { StudyOptions } from '../../../optimise/plan-study.ts';
import { defaultPipelineId } from '../../../registry/default-pack.ts';
import { prewarmSandbox } from '../../../sandbox/probe.ts';
import { distributedTrials } from '../../distributed-study.ts';
import {
  action,
  badInput,
  output,
  splitList,
  stoppableAction,
  wholeNumber,
  withDb,
  withJson,
  type JsonFlag,
} from '../command-kit.ts';
import { progressBar } from '../progress-bar.ts';
import { studySettings, withStudyFlags, type StudyFlags } from '../study-flags.ts';
import { registerListCommand } from '../list-command.ts';

interface OptimiseFlags extends JsonFlag, StudyFlags {
  strategy?: string;
  symbols?: string;
  from?: string;
  to?: string;
  timeframe: string;
  pipeline: string;
  exchange: string;
  history: string;
  resume?: string;
  distributed?: boolean;
}

async function studyOptions(flags: OptimiseFlags): Promise<StudyOptions> {
  if (!flags.strategy || !flags.symbols || !flags.from || !flags.to)
    throw badInput(
      'Give --strategy, --symbols, --from and --to, e.g. trader optimise --strategy breakout --symbols BTC/USDT --from 2024-01-01 --to 2024-12-01 (or --resume <study id>).',
    );
  return {
    ...(await studySettings(flags)),
    strategies: splitList(flags.strategy),
    symbols: splitList(flags.symbols),
    from: parseUtcTime(flags.from, '--from'),
    to: parseUtcTime(flags.to, '--to'),
    timeframe: flags.timeframe,
    exchange: flags.exchange,
    pipelineId: flags.pipeline,
    historyBars: wholeNumber(flags.history, '--history', 1, bounds.historyBars),
    env: process.env,
  };
}

export function registerOptimiseCommands(program: Command): void {
  const cmd = withStudyFlags(withJson(program.command('optimise').enablePositionalOptions()))
    .description(
      'tune strategies walk-forward: parameters fitted in-sample, judged out-of-sample, the winner proposed as a strategy version',
    )
    .option('--strategy <list>', 'strategy id(s) from strategy_config, comma-separated to compare several')
    .option('--symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT')
    .option('--from <date>', 'first bar (UTC), e.g. 2019-01-01')
    .option('--to <date>', 'end (UTC, exclusive), e.g. 2025-01-01')
    .option('--timeframe <tf>', 'candle timeframe', '1h')
    .option('--pipeline <id>', 'pipeline_config pipeline id', defaultPipelineId)
    .option('--exchange <id>', 'exchange whose cached candles to replay', 'binance')
    .option('--history <bars>', "bars of warm-up before each span (raised to the plan's recorded warm-up)", '500')
    .option('--resume <study>', 'continue a study that did not finish; its stored trials are not run again')
    .option(
      '--distributed',
      'run the trials as jobs for `trader worker --queues trials` processes (Postgres only), --workers of them per batch',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ trader optimise --strategy breakout --symbols BTC/USDT,ETH/USDT --from 2019-01-01 --to 2025-01-01 --trials 500\n  $ trader optimise --strategy trend_following,mean_reversion,breakout --symbols BTC/USDT --from 2023-01-01 --to 2025-01-01\n  $ trader optimise --resume <study id>\n  $ trader optimise --strategy breakout --symbols BTC/USDT --from 2024-01-01 --to 2025-01-01 --workers 8 --distributed\n  $ trader optimise show <study id>\n\nExit codes: 0 done, 2 bad input or config, 143 stopped (resume it with --resume).',
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
              ...(flags.distributed ? { distributed: distributedTrials(db, process.env) } : {}),
              onStart: (id) => {
                if (!flags.json)
                  process.stderr.write(
                    `study ${id} (resume it with: trader optimise --resume ${id}${flags.distributed ? ' --distributed' : ''})\n`,
                  );
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
