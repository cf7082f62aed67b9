import type { BadInput } from './row.ts';

/**
 * Numbers beyond a column's range or beyond sense (core/bounds.ts): 2^31 reached Postgres as
 * a raw "out of range for type integer", 1e308 balances were accepted. Each is exit 2
 * naming the flag and its bound.
 */
const run = (...flags: string[]) => ['run', '--symbols', 'BTC/USDT', '--offline', ...flags];
const backtest = (...flags: string[]) => [
  'backtest',
  '--symbols',
  'BTC/USDT',
  '--from',
  '2024-03-01',
  '--to',
  '2024-03-02',
  ...flags,
];

export const rows: BadInput[] = [
  {
    what: 'run --history of a billion bars',
    args: run('--history', '1000000000'),
    exit: 2,
    message: /^trader: --history must be at most 100000, not '1000000000'\.$/,
  },
  {
    what: 'run --history in exponent notation',
    args: run('--history', '1e9'),
    exit: 2,
    message: /^trader: --history must be a positive whole number, not '1e9'\.$/,
  },
  {
    what: 'run --max-age-bars beyond its bound',
    args: run('--max-age-bars', '100001'),
    exit: 2,
    message: /^trader: --max-age-bars must be at most 100000, not '100001'\.$/,
  },
  {
    what: 'backtest --history 2^31',
    args: backtest('--history', '2147483648'),
    exit: 2,
    message: /^trader: --history must be at most 100000, not '2147483648'\.$/,
  },
  {
    what: 'backtest --equity 1e308',
    args: backtest('--equity', '1e308'),
    exit: 2,
    message:
      /^trader: --equity must be a positive amount from 0\.01 to 1e\+12 \(a trillion\), like 10000, not '1e308'\.$/,
  },
  {
    what: 'backtest --equity 0',
    args: backtest('--equity', '0'),
    exit: 2,
    message: /^trader: --equity must be a positive amount from 0\.01 to 1e\+12/,
  },
  {
    what: 'backtest --check-lookahead beyond its bound',
    args: backtest('--check-lookahead', '1001'),
    exit: 2,
    message: /^trader: --check-lookahead must be at most 1000, not '1001'\.$/,
  },
  {
    what: 'backtest --trades beyond its bound',
    args: backtest('--trades', '10001'),
    exit: 2,
    message: /^trader: --trades must be at most 10000, not '10001'\.$/,
  },
  {
    what: 'backtest list --limit beyond its bound',
    args: ['backtest', 'list', '--limit', '99999999999'],
    exit: 2,
    message: /^trader: --limit must be at most 10000, not '99999999999'\.$/,
  },
  {
    what: 'paper init --balance 1e308 (was accepted)',
    args: ['paper', 'init', '--balance', '1e308', '--yes'],
    exit: 2,
    message:
      /^trader: --balance must be a positive amount from 0\.01 to 1e\+12 \(a trillion\), like 10000, not '1e308'\.$/,
  },
  {
    what: 'paper init --balance below a cent (was shown as 0.00)',
    args: ['paper', 'init', '--balance', '0.001', '--yes'],
    exit: 2,
    message: /^trader: --balance must be a positive amount from 0\.01/,
  },
  {
    what: 'paper init --balance with a thousands separator',
    args: ['paper', 'init', '--balance', '10,000', '--yes'],
    exit: 2,
    message: /not '10,000'\.$/,
  },
  {
    what: 'serve --port beyond 65535',
    args: ['serve', '--port', '70000'],
    exit: 2,
    message: /^trader: --port must be at most 65535, not '70000'\.$/,
  },
  {
    what: 'macro show --lookbacks beyond ten years (was an internal error)',
    args: ['macro', 'show', '--lookbacks', '7,9999999999'],
    exit: 2,
    message: /^trader: --lookbacks '7,9999999999' must be whole numbers of days from 1 to 3650/,
  },
  {
    what: 'macro fetch --timeout-ms beyond ten minutes (was reported as unreachable)',
    args: ['macro', 'fetch', '--timeout-ms', '99999999999999'],
    exit: 2,
    message: /^trader: --timeout-ms '99999999999999' must be a whole number of milliseconds from 1 to 600000\.$/,
  },
];
