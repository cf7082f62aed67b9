import type { Command } from 'commander';
import { bounds } from '../../../core/bounds.ts';
import { decisionTime } from '../../../core/time.ts';
import { defaultPipelineId } from '../../../registry/default-pack.ts';
import { runPipeline } from '../../../engine/run/run-pipeline.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { unlockIfLive } from '../../../trading/live-account/unlock.ts';
import { systemModeFromEnv } from '../../../trading/scope.ts';
import { runExitCode } from '../../../engine/run/run-summary.ts';
import { getRunTrace } from '../../../engine/run/runs-repo.ts';
import { prewarmSandbox } from '../../../sandbox/probe.ts';
import { output, splitList, wholeNumber, withDb, withJson, stoppableAction } from '../command-kit.ts';
import { renderTrace } from '../render-trace.ts';

interface RunFlags {
  symbols: string;
  strategy?: string;
  pipeline: string;
  exchange: string;
  timeframe: string;
  asOf?: string;
  history: string;
  trigger: string;
  triggerRef?: string;
  offline?: boolean;
  maxAgeBars: string;
  json?: boolean;
}

export function registerRunCommand(program: Command): void {
  withJson(program.command('run'))
    .description('run the registered pipeline once for the given symbols and record every decision')
    .requiredOption('--symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT')
    .option('--strategy <id>', 'a strategy from strategy_config (overrides the stages it names)')
    .option('--pipeline <id>', 'pipeline_config pipeline id', defaultPipelineId)
    .option('--exchange <id>', 'exchange whose cached candles to use', 'binance')
    .option('--timeframe <tf>', 'candle timeframe', '1h')
    .option('--as-of <iso>', 'decide as of this UTC time (default: now)')
    .option('--history <bars>', "closed candles handed to modules (raised to the plan's recorded warm-up)", '500')
    .option('--trigger <name>', 'who started the run (cli, n8n, schedule, http)', 'cli')
    .option('--trigger-ref <ref>', 'caller reference, e.g. an n8n execution id')
    .option('--offline', 'decide on cached candles only; by default missing newest candles are fetched first')
    .option(
      '--max-age-bars <n>',
      'bars the cache may lag the newest closed candle before it is fetched (and before data counts as stale)',
      '0',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader run --symbols BTC/USDT,ETH/USDT --as-of 2024-06-30T12:00:00Z\n\nExit codes: 0 decided, 1 a symbol or the run failed, 2 bad input or config, 3 halted by policy, 4 another run holds the lock.',
    )
    .action(
      stoppableAction(async (flags: RunFlags) => {
        const history = wholeNumber(flags.history, '--history', 1, bounds.historyBars);
        const maxAgeBars = wholeNumber(flags.maxAgeBars, '--max-age-bars', 0, bounds.maxAgeBars);
        prewarmSandbox();
        const summary = await withDb('run', async (db) => {
          // LIVE trades through the account's keys: the master PIN opens them for this process.
          await unlockIfLive(db, systemModeFromEnv(), askOnTerminal());
          const result = await runPipeline(db, {
            symbols: splitList(flags.symbols),
            pipelineId: flags.pipeline,
            strategyId: flags.strategy ?? null,
            exchange: flags.exchange,
            timeframe: flags.timeframe,
            asOf: decisionTime(flags.asOf, '--as-of', new Date()),
            trigger: flags.trigger,
            triggerRef: flags.triggerRef ?? null,
            historyBars: history,
            minBars: Math.min(history, 100),
            offline: flags.offline ?? false,
            maxAgeBars,
          });
          if (flags.json) return { result, trace: '' };
          const recorded = await getRunTrace(db, result.run_id);
          return { result, trace: renderTrace(recorded.run, recorded.logs) };
        });
        output(flags, summary.result, () => summary.trace);
        return runExitCode(summary.result.status);
      }),
    );
}
