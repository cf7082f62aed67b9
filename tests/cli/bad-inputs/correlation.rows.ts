import type { BadInput } from './row.ts';

/**
 * `trader correlation run|show` and `schedule add --job correlation`: every refusal comes
 * before a run is audited or an event stored. The prepared database holds the BTC and ETH
 * samples and no market settings, so no altcoin is monitored or has candles.
 */
const run = (...flags: string[]) => ['correlation', 'run', ...flags];
const show = (...flags: string[]) => ['correlation', 'show', ...flags];

export const rows: BadInput[] = [
  {
    what: 'a move threshold that is not a number',
    args: run('--threshold', 'two'),
    exit: 2,
    message: /^trader: --threshold is a move in percent above 0 and at most 50, like 2, not 'two'\.$/,
  },
  {
    what: 'a move threshold of zero (every bar would be a move)',
    args: run('--threshold', '0'),
    exit: 2,
    message: /^trader: --threshold is a move in percent above 0 and at most 50, like 2, not '0'\.$/,
  },
  {
    what: 'a move threshold above 50 %',
    args: run('--threshold', '75'),
    exit: 2,
    message: /^trader: --threshold is a move in percent above 0 and at most 50, like 2, not '75'\.$/,
  },
  {
    what: 'an altcoin that is not a symbol',
    args: run('--alts', 'sol'),
    exit: 2,
    message: /^trader: --alts: 'sol' is not a symbol like BTC\/USDT \(upper case BASE\/QUOTE\)\.$/,
  },
  {
    what: 'an altcoin without stored candles',
    args: run('--alts', 'DOGE/USDT'),
    exit: 2,
    message:
      /^trader: No stored binance 1h candles of DOGE\/USDT: import or fetch them first \(`trader data import` or `trader data fetch`\), or leave it out\.$/,
  },
  {
    what: 'no altcoin to measure (the active markets are all lead coins)',
    args: run(),
    exit: 2,
    message:
      /^trader: There is no altcoin to measure: no active market besides the lead coins; give --alts, or set correlation\.altcoins in the configuration file\.$/,
  },
  {
    what: 'a lead coin listed twice',
    args: run('--lead', 'BTC/USDT,BTC/USDT'),
    exit: 2,
    message: /^trader: --lead lists a symbol twice\.$/,
  },
  {
    what: 'an empty altcoin list',
    args: run('--alts', ','),
    exit: 2,
    message: /^trader: --alts needs at least one symbol, e\.g\. --alts BTC\/USDT\.$/,
  },
  {
    what: 'a window that ends before it starts',
    args: run('--from', '2024-04-01', '--to', '2024-01-01'),
    exit: 2,
    message: /^trader: --from must be before --to\.$/,
  },
  {
    what: 'a window starting on a day that does not exist',
    args: run('--from', '2024-02-30'),
    exit: 2,
    message: /^trader: --from '2024-02-30' is not a UTC time: February 2024 has 29 days\.$/,
  },
  {
    what: 'a delay of zero bars (that is the same window)',
    args: run('--delay', '0'),
    exit: 2,
    message: /^trader: --delay must be a positive whole number, not '0'\.$/,
  },
  {
    what: 'a delay of more than a day of bars',
    args: run('--delay', '25'),
    exit: 2,
    message: /^trader: --delay must be at most 24, not '25'\.$/,
  },
  {
    what: 'a ranking of no pairs',
    args: show('--top', '0'),
    exit: 2,
    message: /^trader: --top must be a positive whole number, not '0'\.$/,
  },
  {
    what: 'a ranking longer than shown',
    args: show('--top', '5000'),
    exit: 2,
    message: /^trader: --top must be at most 1000, not '5000'\.$/,
  },
  {
    what: 'a lead coin filter that is not a symbol',
    args: show('--base', 'btc'),
    exit: 2,
    message: /^trader: --base: 'btc' is not a symbol like BTC\/USDT \(upper case BASE\/QUOTE\)\.$/,
  },
  {
    what: 'two lead coins as the filter',
    args: show('--base', 'BTC/USDT,ETH/USDT'),
    exit: 2,
    message: /^trader: --base takes one symbol\.$/,
  },
  {
    what: 'a scheduled correlation analysis with a backup folder',
    args: ['schedule', 'add', '5 * * * *', '--job', 'correlation', '--to', '{tmp}'],
    exit: 2,
    message: /^trader: --to does not apply to --job correlation: set correlation\.\* in the configuration file\.$/,
  },
  {
    what: 'a scheduled correlation analysis with symbols',
    args: ['schedule', 'add', '5 * * * *', '--job', 'correlation', '--symbols', 'SOL/USDT'],
    exit: 2,
    message: /^trader: --symbols does not apply to --job correlation: it acts on the whole database\.$/,
  },
];
