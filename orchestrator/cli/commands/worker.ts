import os from 'node:os';
import type { Command } from 'commander';
import { quote } from '../../../core/quote.ts';
import { workerQueues, WorkerQueue } from '../../../queue/queues.ts';
import { runWorker } from '../../worker/worker-process.ts';
import { action, badInput, splitList, wholeNumber, withDb } from '../command-kit.ts';

interface WorkerFlags {
  concurrency?: string;
  queues: string;
  grace: string;
}

function parseQueues(raw: string): WorkerQueue[] {
  const names = splitList(raw);
  const bad = names.filter((n) => !WorkerQueue.safeParse(n).success);
  if (names.length === 0 || bad.length > 0)
    throw badInput(
      `--queues takes a comma-separated list of ${workerQueues.join(', ')}${bad.length ? `, not ${bad.map((b) => quote(b)).join(', ')}` : ''}.`,
    );
  return [...new Set(names)] as WorkerQueue[];
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'take jobs from the Postgres job queue (distributed runs, optimiser trials, backtests) until SIGTERM; start any number, on any machines',
    )
    .option('--concurrency <n>', 'jobs this process works on at once (default: the number of cores)')
    .option(
      '--queues <list>',
      `queues to serve, of ${workerQueues.join(', ')} (runs: symbols of distributed runs, taken first; trials: optimiser trials; backtests: \`backtest --each --distributed\`, taken last)`,
      workerQueues.join(','),
    )
    .option('--grace <seconds>', 'on SIGTERM, how long running jobs may finish before they are released', '25')
    .addHelpText(
      'after',
      '\nExample:\n  $ DATABASE_URL=postgres://trader@db:5432/trader trader worker --concurrency 2\n\nExit codes: 0 stopped by SIGTERM or SIGINT, 2 bad input or the embedded database (workers need Postgres).',
    )
    .action(
      action(async (flags: WorkerFlags) => {
        const concurrency =
          flags.concurrency === undefined
            ? os.availableParallelism()
            : wholeNumber(flags.concurrency, '--concurrency', 1, 64);
        const queues = parseQueues(flags.queues);
        const graceMs = wholeNumber(flags.grace, '--grace', 0, 3600) * 1000;
        return withDb('worker', (db) => runWorker(db, { concurrency, queues, graceMs, env: process.env }));
      }),
    );
}
