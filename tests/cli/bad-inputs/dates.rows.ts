import type { BadInput } from './row.ts';

/**
 * Times on the command line (core/time.ts): a date that is not on the calendar (JavaScript
 * rolls 2024-02-30 over to 1 March), an hour 24, a year before markets, a decision time in
 * the future. Each is exit 2 naming the flag and what is wrong.
 */
const run = (asOf: string) => ['run', '--symbols', 'BTC/USDT', '--offline', '--as-of', asOf];
const backtest = (from: string, to: string) => ['backtest', '--symbols', 'BTC/USDT', '--from', from, '--to', to];

export const rows: BadInput[] = [
  {
    what: 'run --as-of 30 February (rolled to 1 March and ran)',
    args: run('2024-02-30'),
    exit: 2,
    message: /^trader: --as-of '2024-02-30' is not a UTC time: February 2024 has 29 days\.$/,
  },
  {
    what: 'run --as-of 29 February of a common year',
    args: run('2023-02-29T12:00:00Z'),
    exit: 2,
    message: /^trader: --as-of '2023-02-29T12:00:00Z' is not a UTC time: February 2023 has 28 days\.$/,
  },
  {
    what: 'run --as-of hour 24 (rolled to the next day)',
    args: run('2024-03-05T24:00:00Z'),
    exit: 2,
    message: /is not a UTC time: hours run from 00 to 23\.$/,
  },
  {
    what: 'run --as-of minute 60',
    args: run('2024-03-05T12:60:00Z'),
    exit: 2,
    message: /is not a UTC time: minutes and seconds run from 00 to 59\.$/,
  },
  {
    what: 'run --as-of a zone offset of 25 hours',
    args: run('2024-03-05T12:00:00+25:00'),
    exit: 2,
    message: /is not a UTC time: the zone offset is out of range\.$/,
  },
  {
    what: 'run --as-of before 1970',
    args: run('1969-12-31'),
    exit: 2,
    message: /^trader: --as-of '1969-12-31' is not a UTC time: the year is before 1970\.$/,
  },
  {
    what: "run --as-of in the future (decided on today's data under a future name)",
    args: run('2099-01-01'),
    exit: 2,
    message:
      /^trader: --as-of 2099-01-01T00:00:00\.000Z is in the future \(now is .*\); give a past time or leave it out\.$/,
  },
  {
    what: 'backtest --from 30 February',
    args: backtest('2024-02-30', '2024-03-02'),
    exit: 2,
    message: /^trader: --from '2024-02-30' is not a UTC time: February 2024 has 29 days\.$/,
  },
  {
    what: 'backtest --to 31 April',
    args: backtest('2024-04-01', '2024-04-31'),
    exit: 2,
    message: /^trader: --to '2024-04-31' is not a UTC time: April 2024 has 30 days\.$/,
  },
  {
    what: 'data fetch --since 31 June (fails before any request)',
    args: ['data', 'fetch', '--symbols', 'BTC/USDT', '--since', '2024-06-31'],
    exit: 2,
    message: /^trader: --since '2024-06-31' is not a UTC time: June 2024 has 30 days\.$/,
  },
  {
    what: 'data fetch --until month 13',
    args: ['data', 'fetch', '--symbols', 'BTC/USDT', '--until', '2024-13-01'],
    exit: 2,
    message: /^trader: --until '2024-13-01' is not a UTC time: there is no month 13\.$/,
  },
  {
    what: 'data fetch --since in the future (asked the exchange for nothing)',
    args: ['data', 'fetch', '--symbols', 'BTC/USDT', '--since', '2099-01-01'],
    exit: 2,
    message: /^trader: --since 2099-01-01T00:00:00\.000Z is in the future/,
  },
  {
    what: 'audit search --since 30 February',
    args: ['audit', 'search', '--since', '2024-02-30'],
    exit: 2,
    message: /^trader: --since '2024-02-30' is not a UTC time: February 2024 has 29 days\.$/,
  },
  {
    what: 'macro show --as-of in the future',
    args: ['macro', 'show', '--as-of', '2099-06-01T00:00:00Z'],
    exit: 2,
    message: /^trader: --as-of 2099-06-01T00:00:00\.000Z is in the future/,
  },
  {
    what: 'macro show --as-of 31 November',
    args: ['macro', 'show', '--as-of', '2024-11-31'],
    exit: 2,
    message: /^trader: --as-of '2024-11-31' is not a UTC time: November 2024 has 30 days\.$/,
  },
];
