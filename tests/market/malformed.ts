import { HOUR, SAMPLE_FIRST_TS, sampleLines } from './sample.ts';

/** Header + 5 sample rows with file line `line` (header = 1) rewritten. */
export function withLine(line: number, edit: (cells: string[]) => string[] | string): string {
  const lines = sampleLines(5);
  const edited = edit(lines[line - 1]!.split(','));
  lines[line - 1] = typeof edited === 'string' ? edited : edited.join(',');
  return `${lines.join('\n')}\n`;
}

/** [what is wrong, CSV text, the message expected for a file named btc.csv]. */
export const malformedCases: [string, string, RegExp][] = [
  [
    'wrong header',
    'time,open,high,low,close,volume\n1704067200000,1,1,1,1,1\n',
    /^btc\.csv line 1: the header must be 'timestamp,open,high,low,close,volume' but is 'time,open/,
  ],
  [
    'too few columns',
    withLine(4, (c) => c.slice(0, 5)),
    /^btc\.csv line 4: expected 6 columns but found 5; fix or remove that row/,
  ],
  ['too many columns', withLine(3, (c) => [...c, '7']), /^btc\.csv line 3: expected 6 columns but found 7/],
  ['blank line in the middle', withLine(3, () => ''), /^btc\.csv line 3: expected 6 columns but found 1/],
  [
    'non-numeric close',
    withLine(5, (c) => [c[0]!, c[1]!, c[2]!, c[3]!, 'abc', c[5]!]),
    /^btc\.csv line 5: close 'abc' is not a number/,
  ],
  ['empty volume', withLine(2, (c) => [...c.slice(0, 5), '']), /^btc\.csv line 2: volume '' is not a number/],
  [
    'infinite high',
    withLine(3, (c) => [c[0]!, c[1]!, 'Infinity', ...c.slice(3)]),
    /^btc\.csv line 3: high 'Infinity' is not finite/,
  ],
  [
    'non-numeric timestamp',
    withLine(2, (c) => ['2024-01-01T00:00:00Z', ...c.slice(1)]),
    /^btc\.csv line 2: timestamp '2024-01-01T00:00:00Z' is not a number/,
  ],
  [
    'fractional timestamp',
    withLine(2, (c) => [`${c[0]}.5`, ...c.slice(1)]),
    /^btc\.csv line 2: timestamp 1704067200000.5 is not a whole number/,
  ],
  ['zero open', withLine(4, (c) => [c[0]!, '0', ...c.slice(2)]), /^btc\.csv line 4: prices must be positive/],
  [
    'negative low',
    withLine(4, (c) => [c[0]!, c[1]!, c[2]!, '-5', ...c.slice(4)]),
    /^btc\.csv line 4: prices must be positive/,
  ],
  ['negative volume', withLine(6, (c) => [...c.slice(0, 5), '-1']), /^btc\.csv line 6: volume -1 is negative/],
  [
    'high below low',
    withLine(3, (c) => [c[0]!, '10', '9', '11', '10', c[5]!]),
    /^btc\.csv line 3: high 9 is below low 11/,
  ],
  [
    'close above high',
    withLine(3, (c) => [c[0]!, '10', '12', '9', '13', c[5]!]),
    /^btc\.csv line 3: open 10 and close 13 must lie between low 9 and high 12/,
  ],
  [
    'open below low',
    withLine(3, (c) => [c[0]!, '8', '12', '9', '10', c[5]!]),
    /^btc\.csv line 3: open 8 and close 10 must lie between low 9 and high 12/,
  ],
  [
    'duplicate timestamp',
    withLine(4, (c) => [String(SAMPLE_FIRST_TS + HOUR), ...c.slice(1)]),
    /^btc\.csv line 4: duplicate timestamp 1704070800000 \(2024-01-01T01:00:00.000Z\)/,
  ],
  [
    'unsorted timestamps',
    withLine(4, (c) => [String(SAMPLE_FIRST_TS), ...c.slice(1)]),
    /^btc\.csv line 4: timestamps are not sorted: 1704067200000 \(2024-01-01T00:00:00.000Z\) comes after 1704070800000/,
  ],
  [
    'misaligned timestamp',
    withLine(6, (c) => [String(Number(c[0]) + 60_000), ...c.slice(1)]),
    /^btc\.csv line 6: timestamp 1704081660000 \(2024-01-01T04:01:00.000Z\) is not a 1h candle open time/,
  ],
  [
    'timestamps in seconds',
    withLine(2, (c) => [String(SAMPLE_FIRST_TS / 1000), ...c.slice(1)]),
    /^btc\.csv line 2: timestamp 1704067200 \(1970-01-20T17:21:07\.200Z\) is before 2009-01-03, when the first crypto market began: it looks like seconds, and timestamps are milliseconds \(multiply by 1000\); fix/,
  ],
  [
    'timestamps in microseconds',
    withLine(2, (c) => [String(SAMPLE_FIRST_TS * 1000), ...c.slice(1)]),
    /^btc\.csv line 2: timestamp 1704067200000000 \(\+055969-.*\) opens a candle that has not closed by now \(.*\): it looks like microseconds, and timestamps are milliseconds \(divide by 1000\); fix/,
  ],
  [
    'a negative timestamp',
    withLine(2, (c) => ['-3600000', ...c.slice(1)]),
    /^btc\.csv line 2: timestamp -3600000 \(1969-12-31T23:00:00\.000Z\) is before 2009-01-03, when the first crypto market began; fix/,
  ],
  [
    'a timestamp beyond what a date can hold (year 275760+)',
    withLine(2, (c) => ['8640000003600000', ...c.slice(1)]),
    /^btc\.csv line 2: timestamp 8640000003600000 opens a candle that has not closed by now \(.*\); fix/,
  ],
  [
    'a candle in the future',
    withLine(2, (c) => [String(Date.UTC(2100, 0, 1)), ...c.slice(1)]),
    /^btc\.csv line 2: timestamp 4102444800000 \(2100-01-01T00:00:00\.000Z\) opens a candle that has not closed by now/,
  ],
  [
    'an empty file',
    '',
    /^btc\.csv is empty: a candle CSV starts with the header 'timestamp,open,high,low,close,volume'\.$/,
  ],
  [
    'header only',
    'timestamp,open,high,low,close,volume\n',
    /^btc\.csv has a header but no candle rows: nothing to import\.$/,
  ],
];
