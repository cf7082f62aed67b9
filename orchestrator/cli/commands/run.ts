import type { Command } from 'commander';
import { bounds } from '../../../core/bounds.ts';
import { decisionTime } from '../../../core/time.ts';
import { defaultPipelineId } from '../../../registry/default-pack.ts';
import { checkRequest, runPipeline } from '../../../engine/run/run-pipeline.ts';
import { askOnTerminal } from '../../../trading/governance/user-prompts.ts';
import { unlockIfLive } from '../../../trading/live-account/unlock.ts';
import { systemModeFromEnv } from '../../../trading/scope.ts';
import { runExitCode } from '../../../engine/run/run-summary.ts';
import { getRunTrace } from '../../../engine/run/runs-repo.ts';
import { prewarmSandbox } from '../../../sandbox/probe.ts';
import { badInput, output, splitList, wholeNumber, withDb, withJson, stoppableAction } from '../command-kit.ts';
import { startDistributedRun } from '../../distributed-run.ts';
import type { Db } from '../../../store/db.ts';
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
  distributed?: boolean;
  wait: boolean;
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
    .option(
      '--distributed',
      'enqueue one job per symbol for `trader worker` processes (Postgres only) and wait for them',
    )
    .option('--no-wait', 'with --distributed: print the run id at once instead of waiting for the summary')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader run --symbols BTC/USDT,ETH/USDT --as-of 2024-06-30T12:00:00Z\n\nExit codes: 0 decided, 1 a symbol or the run failed, 2 bad input or config, 3 halted by policy, 4 another run holds the lock (or the tick was already run distributed).',
    )
    .action(
      stoppableAction(async (flags: RunFlags) => {
        const history = wholeNumber(flags.history, '--history', 1, bounds.historyBars);
        const maxAgeBars = wholeNumber(flags.maxAgeBars, '--max-age-bars', 0, bounds.maxAgeBars);
        if (!flags.wait && !flags.distributed) throw badInput('--no-wait goes with --distributed.');
        const request = {
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
        };
        // A malformed request is refused before the module threads start (they cost a second of CPU).
        checkRequest(request);
        prewarmSandbox();
        const summary = await withDb('run', async (db) => {
          // LIVE trades through the account's keys: the master PIN opens them for this process.
          await unlockIfLive(db, systemModeFromEnv(), askOnTerminal());
          if (flags.distributed) {
            const started = await startDistributedRun(
              db,
              request,
              flags.wait ? { wait: true, onProgress: progressLine() } : { wait: false },
            );
            if (!started.summary) return { result: null, opened: started.run_id, trace: '' };
            return {
              result: started.summary,
              opened: null,
              trace: flags.json ? '' : await traceOf(db, started.run_id),
            };
          }
          const result = await runPipeline(db, request);
          return { result, opened: null, trace: flags.json ? '' : await traceOf(db, result.run_id) };
        });
        if (summary.opened) {
          const opened = { run_id: summary.opened, status: 'running' };
          output(
            flags,
            opened,
            () => `run ${opened.run_id} enqueued; follow it with \`trader runs show ${opened.run_id}\``,
          );
          return 0;
        }
        const result = summary.result!;
        output(flags, result, () => summary.trace);
        return runExitCode(result.status);
      }),
    );
}

async function traceOf(db: Db, runId: string): Promise<string> {
  const recorded = await getRunTrace(db, runId);
  return renderTrace(recorded.run, recorded.logs);
}

/** `decided n/N` on a terminal's stderr while a distributed run's workers decide it. */
function progressLine(): ((settled: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (settled, total) => process.stderr.write(`\rdecided ${settled}/${total}${settled === total ? '\n' : ''}`);
}
