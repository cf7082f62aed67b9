import { describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { parseCandleCsv } from '../../market/csv-candles.ts';
import { malformedCases } from './malformed.ts';
import { HOUR, SAMPLE_FIRST_TS, SAMPLE_LAST_TS, SAMPLE_ROWS, sampleLines, sampleText } from './sample.ts';

function parseError(text: string, timeframe = '1h'): TraderError {
  try {
    parseCandleCsv(text, { timeframe, file: '/some/dir/btc.csv' });
  } catch (e) {
    if (e instanceof TraderError) return e;
    throw e;
  }
  throw new Error('expected the CSV to be rejected');
}

describe('parseCandleCsv on the shipped sample', () => {
  it('parses all 8784 rows into aligned columns with exact values', () => {
    const c = parseCandleCsv(sampleText, { timeframe: '1h' });
    expect(c.ts).toHaveLength(SAMPLE_ROWS);
    for (const col of [c.open, c.high, c.low, c.close, c.volume]) expect(col).toHaveLength(SAMPLE_ROWS);
    expect(c.ts[0]).toBe(SAMPLE_FIRST_TS);
    expect(c.ts.at(-1)).toBe(SAMPLE_LAST_TS);
    // First data line: 1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108
    expect([c.open[0], c.high[0], c.low[0], c.close[0], c.volume[0]]).toEqual([
      42283.58, 42554.57, 42261.02, 42475.23, 1271.68108,
    ]);
    const last = sampleText.trimEnd().split('\n').at(-1)!.split(',').map(Number);
    expect([c.ts.at(-1), c.open.at(-1), c.high.at(-1), c.low.at(-1), c.close.at(-1), c.volume.at(-1)]).toEqual(last);
  });

  it('accepts CRLF line endings, a BOM and no final newline', () => {
    const text = `\uFEFF${sampleLines(3).join('\r\n')}`;
    const c = parseCandleCsv(text, { timeframe: '1h' });
    expect(c.ts).toEqual([SAMPLE_FIRST_TS, SAMPLE_FIRST_TS + HOUR, SAMPLE_FIRST_TS + 2 * HOUR]);
    expect(c.volume.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('parses a 65,000-row file completely (speed is measured by npm run bench, not asserted)', () => {
    const rows = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 65_000; i++) rows.push(`${SAMPLE_FIRST_TS + i * 60_000},100.5,101.25,99.75,100.125,${i}.5`);
    const text = rows.join('\n');
    const c = parseCandleCsv(text, { timeframe: '1m' });
    expect(c.ts).toHaveLength(65_000);
    expect(c.volume[64_999]).toBe(64_999.5);
  });
});

describe('parseCandleCsv rejects malformed files naming the line', () => {
  it.each(malformedCases)('%s', (_name, text, message) => {
    const err = parseError(text);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(message);
    // One sentence for the user: no line breaks, no stack trace material.
    expect(err.message).not.toContain('\n');
  });

  it('accepts a candle that closed exactly at the given now, and refuses the one still open', () => {
    const [header, first] = sampleLines(1);
    const text = `${header}\n${first}\n`;
    expect(parseCandleCsv(text, { timeframe: '1h', now: SAMPLE_FIRST_TS + HOUR }).ts).toEqual([SAMPLE_FIRST_TS]);
    expect(() => parseCandleCsv(text, { timeframe: '1h', now: SAMPLE_FIRST_TS + HOUR - 1 })).toThrow(
      /has not closed by now/,
    );
  });

  it('checks alignment against the given timeframe (hourly data is not 4h data)', () => {
    expect(parseError(sampleLines(3).join('\n'), '4h').message).toMatch(
      /^btc\.csv line 3: timestamp 1704070800000 .* is not a 4h candle open time/,
    );
    expect(parseError(sampleLines(3).join('\n'), '1x').message).toMatch(/^Unknown timeframe '1x'/);
  });
});
