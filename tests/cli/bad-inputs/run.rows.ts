import { demoAsOfIso } from '../../helpers/cli.ts';
import type { BadInput } from './row.ts';

/** `trader run`: symbols, options, times. */
export const rows: BadInput[] = [
  {
    what: 'malformed symbol',
    args: ['run', '--symbols', 'btc', '--as-of', demoAsOfIso],
    exit: 2,
    message: /^trader: 'btc' is not a symbol like BTC\/USDT/,
  },
  {
    what: 'lower-case quote',
    args: ['run', '--symbols', 'BTC/usdt', '--as-of', demoAsOfIso],
    exit: 2,
    message: /'BTC\/usdt' is not a symbol/,
  },
  {
    what: 'symbol listed twice',
    args: ['run', '--symbols', 'BTC/USDT,BTC/USDT', '--as-of', demoAsOfIso],
    exit: 2,
    message: /listed twice/,
  },
  {
    what: 'no symbol at all',
    args: ['run', '--symbols', ' , ', '--as-of', demoAsOfIso],
    exit: 2,
    message: /at least one symbol/,
  },
  {
    what: 'unknown option',
    args: ['run', '--symbols', 'BTC/USDT', '--bogus'],
    exit: 2,
    message: /^trader: unknown option '--bogus'$/,
    usageHint: true,
  },
  {
    what: 'missing required option',
    args: ['run', '--as-of', demoAsOfIso],
    exit: 2,
    message: /^trader: required option '--symbols <list>' not specified$/,
    usageHint: true,
  },
  {
    what: 'an --as-of that is no time at all',
    args: ['run', '--symbols', 'BTC/USDT', '--as-of', '2024-13-45T99:00:00Z'],
    exit: 2,
    message: /--as-of '2024-13-45T99:00:00Z' is not a UTC time/,
  },
  {
    what: 'a zoneless --as-of (would be local time)',
    args: ['run', '--symbols', 'BTC/USDT', '--as-of', '2024-03-05T02:00'],
    exit: 2,
    message: /is not a UTC time/,
  },
  {
    what: '--history 0',
    args: ['run', '--symbols', 'BTC/USDT', '--history', '0'],
    exit: 2,
    message: /--history must be a positive whole number, not '0'/,
  },
  {
    what: 'unknown timeframe',
    args: ['run', '--symbols', 'BTC/USDT', '--timeframe', '7m', '--as-of', demoAsOfIso],
    exit: 2,
    message: /Unknown timeframe '7m'/,
  },
];
