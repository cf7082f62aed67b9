import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

/** `trader data`: candle files a user can hand over (their kind, their times), and the commands' flags. */
const header = 'timestamp,open,high,low,close,volume';
const importArgs = (file: string) => ['data', 'import', file, '--symbol', 'BTC/USDT', '--timeframe', '1h'];

/** A row importing `{tmp}/candles.csv` holding `text`. */
function csv(what: string, text: string, message: RegExp): BadInput {
  return {
    what,
    args: importArgs('{tmp}/candles.csv'),
    setup: (tmp) => fs.writeFileSync(path.join(tmp, 'candles.csv'), text),
    exit: 2,
    message,
  };
}

export const rows: BadInput[] = [
  {
    what: 'a FIFO given as the CSV (reading it would wait for a writer forever)',
    args: importArgs('{tmp}/candles.csv'),
    setup: (tmp) => execFileSync('mkfifo', [path.join(tmp, 'candles.csv')]),
    exit: 2,
    message: /candles\.csv is a named pipe \(FIFO\), not a regular file: give the path of a CSV file\.$/,
  },
  {
    what: 'a device given as the CSV (/dev/zero never ends)',
    args: importArgs('/dev/zero'),
    exit: 2,
    message: /^trader: \/dev\/zero is a device, not a regular file/,
  },
  {
    what: 'a directory given as the CSV',
    args: importArgs('{tmp}'),
    exit: 2,
    message: /is a directory: give the path of a CSV file\.$/,
  },
  {
    what: 'a CSV that does not exist',
    args: importArgs('{tmp}/nope.csv'),
    exit: 2,
    message: /nope\.csv does not exist: check the path\.$/,
  },
  csv('an empty CSV', '', /^trader: candles\.csv is empty: a candle CSV starts with the header/),
  csv(
    'CSV times in seconds',
    `${header}\n1704067200,1,1,1,1,1\n`,
    /candles\.csv line 2: timestamp 1704067200 .* it looks like seconds, and timestamps are milliseconds/,
  ),
  csv(
    'CSV times in microseconds',
    `${header}\n1704067200000000,1,1,1,1,1\n`,
    /candles\.csv line 2: timestamp 1704067200000000 .* it looks like microseconds/,
  ),
  csv(
    'a negative CSV time',
    `${header}\n-3600000,1,1,1,1,1\n`,
    /candles\.csv line 2: timestamp -3600000 .* is before 2009-01-03/,
  ),
  csv(
    'a CSV time beyond what a date can hold (year 275760+)',
    `${header}\n8640000003600000,1,1,1,1,1\n`,
    /candles\.csv line 2: timestamp 8640000003600000 opens a candle that has not closed by now/,
  ),
  csv(
    'a CSV candle in the future',
    `${header}\n4102444800000,1,1,1,1,1\n`,
    /candles\.csv line 2: timestamp 4102444800000 \(2100-01-01T00:00:00\.000Z\) opens a candle that has not closed/,
  ),
  csv(
    'a CSV candle off the 1h grid (a 30-minute offset)',
    `${header}\n1704069000000,1,1,1,1,1\n`,
    /candles\.csv line 2: timestamp 1704069000000 \(2024-01-01T00:30:00\.000Z\) is not a 1h candle open time/,
  ),
  csv('a CSV with a NaN volume', `${header}\n1704067200000,1,1,1,1,NaN\n`, /line 2: volume 'NaN' is not a number/),
  csv('a CSV with a zero price', `${header}\n1704067200000,0,1,0,1,1\n`, /line 2: prices must be positive/),
  {
    what: 'import with a lower-case symbol',
    args: ['data', 'import', '{tmp}/x.csv', '--symbol', 'btc/usdt', '--timeframe', '1h'],
    exit: 2,
    message: /Symbol 'btc\/usdt' is not valid/,
  },
  {
    what: 'import with an unknown timeframe',
    args: ['data', 'import', '{tmp}/x.csv', '--symbol', 'BTC/USDT', '--timeframe', '7m'],
    exit: 2,
    message: /Unknown timeframe '7m'/,
  },
  {
    what: 'data check of a malformed symbol',
    args: ['data', 'check', '--symbols', 'btc'],
    exit: 2,
    message: /'btc' is not a symbol like BTC\/USDT/,
  },
  {
    what: 'macro import of a FIFO',
    args: ['macro', 'import', '{tmp}/macro.csv'],
    setup: (tmp) => execFileSync('mkfifo', [path.join(tmp, 'macro.csv')]),
    exit: 2,
    message: /macro\.csv is a named pipe \(FIFO\), not a regular file/,
  },
];
