import fs from 'node:fs';
import path from 'node:path';
import { demoAsOfIso } from '../../helpers/cli.ts';
import type { BadInput } from './row.ts';

/**
 * What an error message quotes back: never a long input in full (the first 60 characters
 * and the length), never a raw newline (a message stays one line), and schema problems as
 * sentences with the path. Plus the log format flag.
 */
const long = (n: number, ch = 'A') => ch.repeat(n);
const cut = (n: number, ch = 'A') => `'${ch.repeat(60)}…' \\(${n} characters\\)`;

export const rows: BadInput[] = [
  {
    what: 'an unknown --log-format',
    args: ['runs', 'list', '--log-format', 'xml'],
    exit: 2,
    message: /^trader: --log-format must be auto, human or json, not 'xml'\.$/,
  },
  {
    what: '--log-format without a value',
    args: ['--log-format'],
    exit: 2,
    message: /^trader: --log-format needs a value: auto, human or json\.$/,
  },
  {
    what: 'a 100 kB --log-format value is quoted short',
    args: ['run', '--symbols', 'BTC/USDT', '--as-of', demoAsOfIso, `--log-format=${long(100_000, 'x')}`],
    exit: 2,
    message: new RegExp(`^trader: --log-format must be auto, human or json, not ${cut(100_000, 'x')}\\.$`),
  },
  {
    what: 'a 100 kB symbol is quoted short',
    args: ['run', '--symbols', long(100_000), '--as-of', demoAsOfIso],
    exit: 2,
    message: new RegExp(`^trader: ${cut(100_000)} is not a symbol like BTC/USDT`),
  },
  {
    what: 'a 10 kB --as-of is quoted short',
    args: ['run', '--symbols', 'BTC/USDT', '--as-of', long(10_000, '9')],
    exit: 2,
    message: new RegExp(`^trader: --as-of ${cut(10_000, '9')} is not a UTC time`),
  },
  {
    what: 'a run id with a newline stays on one line',
    args: ['runs', 'show', 'abc\ndef'],
    exit: 2,
    message: /^trader: 'abc\\ndef' is not a run id \(a UUID\)/,
  },
  {
    what: 'a backtest id with control characters is shown escaped',
    args: ['backtest', 'show', 'x\r\ty\u001b[31m'],
    exit: 2,
    message: /^trader: 'x\\r\\ty\\u001b\[31m' is not a backtest id/,
  },
  {
    what: 'a 5 kB module id is quoted short',
    args: ['module', 'show', long(5000, 'm')],
    exit: 2,
    message: new RegExp(`^trader: Module ${cut(5000, 'm')} is not registered`),
  },
  {
    what: 'a 5 kB schedule name is quoted short',
    args: ['schedule', 'remove', long(5000, 's'), '--yes'],
    exit: 2,
    message: new RegExp(`^trader: No schedule named ${cut(5000, 's')}`),
  },
  {
    what: 'a 5 kB --timeframe is quoted short',
    args: ['run', '--symbols', 'BTC/USDT', '--timeframe', long(5000, 't')],
    exit: 2,
    message: new RegExp(`^trader: Unknown timeframe ${cut(5000, 't')}`),
  },
  {
    what: 'a 5 kB --exchange for data fetch is quoted short',
    args: ['data', 'fetch', '--symbols', 'BTC/USDT', '--exchange', long(5000, 'e')],
    exit: 2,
    message: new RegExp(`^trader: Unknown exchange ${cut(5000, 'e')}`),
  },
  {
    what: 'a 5 kB --limit is quoted short',
    args: ['runs', 'list', '--limit', long(5000, '7')],
    exit: 2,
    message: new RegExp(`^trader: --limit must be a whole number from 1 to 1000, not ${cut(5000, '7')}\\.$`),
  },
  {
    what: 'a 5 kB unknown command is quoted short',
    args: [long(5000, 'c')],
    exit: 2,
    message: new RegExp(`^trader: unknown command ${cut(5000, 'c')}$`),
    usageHint: true,
  },
  {
    what: 'a 5 kB unknown option is quoted short',
    args: ['runs', 'list', `--${long(5000, 'o')}`],
    exit: 2,
    message: /^trader: unknown option '--o{58}…' \(5002 characters\)$/,
    usageHint: true,
  },
  {
    what: 'a 3 kB file path that does not exist is cut',
    args: [
      'data',
      'import',
      `{tmp}/${long(200, 'd')}/${long(200, 'f')}.csv`,
      '--symbol',
      'BTC/USDT',
      '--timeframe',
      '1h',
    ],
    exit: 2,
    message: /^trader: File \/\S{150,160}… \(\d+ characters\) does not exist: check the path\.$/,
  },
  {
    what: 'a CSV with a newline-laden, 10 kB field names it short on one line',
    args: ['data', 'import', '{tmp}/c.csv', '--symbol', 'BTC/USDT', '--timeframe', '1h'],
    setup: (tmp) =>
      fs.writeFileSync(
        path.join(tmp, 'c.csv'),
        `timestamp,open,high,low,close,volume\n1704067200000,${long(10_000, '1')}x,1,1,1,1\n`,
      ),
    exit: 2,
    message: new RegExp(`open ${cut(10_001, '1')} is not a number`),
  },
  {
    what: 'paper costs out of bounds are a sentence with the field',
    args: ['paper', 'costs', '--fee-bps', '101'],
    exit: 2,
    message: /^trader: Paper costs out of bounds: paper_fee_bps must be at most 100\.$/,
  },
];
