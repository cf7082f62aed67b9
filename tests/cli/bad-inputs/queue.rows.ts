import type { BadInput } from './row.ts';

/**
 * Workers, distributed runs and studies (issue 21): they need Postgres, so the embedded database
 * refuses them with the way out; bad flags are one sentence each.
 */
const refusal = (what: string) =>
  new RegExp(
    `^trader: ${what} need Postgres: move this installation with \`trader db move --to <postgres-url>\` first\\.$`,
  );

/** A one-day backtest of `symbols` with these flags. */
const backtestDay = (symbols: string, ...flags: string[]) => [
  'backtest',
  '--symbols',
  symbols,
  '--from',
  '2024-03-01',
  '--to',
  '2024-03-02',
  ...flags,
];

export const rows: BadInput[] = [
  {
    what: 'a worker on the embedded database',
    args: ['worker', '--concurrency', '1'],
    exit: 2,
    message: refusal('Workers'),
    backends: ['pglite'],
  },
  {
    what: 'a distributed run on the embedded database',
    args: ['run', '--symbols', 'BTC/USDT', '--offline', '--distributed', '--as-of', '2024-03-05T02:00:00Z'],
    exit: 2,
    message: refusal('Distributed runs'),
    backends: ['pglite'],
  },
  {
    what: 'a distributed study on the embedded database',
    args: [
      'optimise',
      '--strategy',
      'breakout',
      '--symbols',
      'BTC/USDT',
      '--from',
      '2024-01-01',
      '--to',
      '2024-02-01',
      '--distributed',
    ],
    exit: 2,
    message: refusal('Distributed studies'),
    backends: ['pglite'],
  },
  {
    what: 'distributed backtests on the embedded database',
    args: backtestDay('BTC/USDT,ETH/USDT', '--each', '--distributed'),
    exit: 2,
    message: refusal('Distributed backtests'),
    backends: ['pglite'],
  },
  {
    what: 'backtest --distributed without --each (the symbols would no longer share one account)',
    args: backtestDay('BTC/USDT,ETH/USDT', '--distributed'),
    exit: 2,
    message:
      /^trader: --distributed runs one backtest per symbol, each on an account of its own: add --each \(without it the symbols share one account, in one replay here\)\.$/,
  },
  {
    what: 'backtest --each with --trades (one table of many backtests)',
    args: backtestDay('BTC/USDT,ETH/USDT', '--each', '--trades', '5'),
    exit: 2,
    message:
      /^trader: --trades lists one backtest's trades: with --each, see each with `trader backtest show <id> --trades n`\.$/,
  },
  {
    what: 'backtest --each --distributed with a symbol twice: refused before anything is queued',
    args: backtestDay('BTC/USDT,BTC/USDT', '--each', '--distributed'),
    exit: 2,
    message: /^trader: A symbol is listed twice in --symbols\.$/,
  },
  {
    what: 'a worker queue that does not exist',
    args: ['worker', '--queues', 'runs,nightly'],
    exit: 2,
    message: /^trader: --queues takes a comma-separated list of runs, trials, backtests, not 'nightly'\.$/,
  },
  {
    what: 'a worker concurrency of 0',
    args: ['worker', '--concurrency', '0'],
    exit: 2,
    message: /^trader: --concurrency must be a positive whole number, not '0'\.$/,
  },
  {
    what: '--no-wait without --distributed',
    args: ['run', '--symbols', 'BTC/USDT', '--no-wait'],
    exit: 2,
    message: /^trader: --no-wait goes with --distributed\.$/,
  },
  {
    what: 'TRADER_WORKER_DEAD_SECONDS below its bound (live workers would be declared dead)',
    args: ['status'],
    env: { TRADER_WORKER_DEAD_SECONDS: '1' },
    exit: 2,
    message: /^trader: TRADER_WORKER_DEAD_SECONDS must be a whole number from 3 to 3600, not '1'\.$/,
  },
];
