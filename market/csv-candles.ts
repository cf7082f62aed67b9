import path from 'node:path';
import type { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import type { CandleSeries } from '../sdk/context-schemas.ts';
import { candleFault, gridOf } from './candle-rules.ts';
import { parseTimeframe } from './timeframes.ts';
import { quote } from '../core/quote.ts';

/** OHLCV columns without the series' identity: what a CSV file or a DB query yields. */
export type CandleColumns = Pick<z.infer<typeof CandleSeries>, 'ts' | 'open' | 'high' | 'low' | 'close' | 'volume'>;

export const CANDLE_CSV_HEADER = 'timestamp,open,high,low,close,volume';

const priceColumns = ['open', 'high', 'low', 'close'] as const;

/** 2009-01-03, the Bitcoin genesis block: no crypto market has a candle before it. */
const FIRST_CANDLE_MS = Date.UTC(2009, 0, 3);

export interface ParseCandleCsvOptions {
  /** The candles' timeframe: every timestamp must be one of its open times. */
  timeframe: string;
  /** Shown in error messages so the user knows which file to fix. */
  file?: string;
  /** Our clock (ms): a candle must have closed by then. Default: now. */
  now?: number;
}

/**
 * Why an open time cannot be a stored candle's, or null: it must fall between the first
 * crypto market and a close before now. Time units are the usual mistake: say so when
 * the value read as seconds or microseconds would be in range.
 */
function timeOutOfRange(ts: number, stepMs: number, now: number): string | null {
  const inRange = (t: number) => t >= FIRST_CANDLE_MS && t + stepMs <= now;
  const unit = inRange(ts * 1000)
    ? ': it looks like seconds, and timestamps are milliseconds (multiply by 1000)'
    : inRange(ts / 1000)
      ? ': it looks like microseconds, and timestamps are milliseconds (divide by 1000)'
      : '';
  if (ts < FIRST_CANDLE_MS)
    return `timestamp ${ts}${when(ts)} is before ${iso(FIRST_CANDLE_MS).slice(0, 10)}, when the first crypto market began${unit}`;
  if (ts + stepMs > now)
    return `timestamp ${ts}${when(ts)} opens a candle that has not closed by now (${iso(now)})${unit}`;
  return null;
}

/**
 * Parses and validates a candle CSV (`timestamp,open,high,low,close,volume`, timestamp =
 * open time in ms UTC, rows ascending) into columns. The first bad row throws BAD_INPUT
 * naming its line. Written as one plain loop with `Number()` and comparisons, no regex or
 * zod per row, because full histories have tens of thousands of rows.
 */
export function parseCandleCsv(text: string, options: ParseCandleCsvOptions): CandleColumns {
  const stepMs = parseTimeframe(options.timeframe);
  const onGrid = gridOf(options.timeframe);
  const now = options.now ?? Date.now();
  const where = options.file ? path.basename(options.file) : 'CSV';
  const fail = (line: number, problem: string): never => {
    throw new TraderError('BAD_INPUT', `${where} line ${line}: ${problem}; fix or remove that row and import again.`);
  };

  if (text.trim() === '') {
    throw new TraderError(
      'BAD_INPUT',
      `${where} is empty: a candle CSV starts with the header '${CANDLE_CSV_HEADER}'.`,
    );
  }
  const lines = text.split('\n');
  // A final newline leaves one empty trailing element; it is not a row.
  if (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const header = (lines[0] ?? '')
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/\s*,\s*/g, ',');
  if (header !== CANDLE_CSV_HEADER) {
    throw new TraderError(
      'BAD_INPUT',
      `${where} line 1: the header must be ${quote(CANDLE_CSV_HEADER)} but is ${quote(header)}.`,
    );
  }
  if (lines.length < 2) {
    throw new TraderError('BAD_INPUT', `${where} has a header but no candle rows: nothing to import.`);
  }

  const n = lines.length - 1;
  const out: CandleColumns = {
    ts: new Array(n),
    open: new Array(n),
    high: new Array(n),
    low: new Array(n),
    close: new Array(n),
    volume: new Array(n),
  };
  const values = [0, 0, 0, 0, 0, 0];
  let prevTs = -Infinity;

  for (let i = 1; i <= n; i++) {
    const lineNo = i + 1;
    const cells = lines[i]!.split(',');
    if (cells.length !== 6) fail(lineNo, `expected 6 columns but found ${cells.length}`);
    for (let c = 0; c < 6; c++) {
      const raw = cells[c]!.trim();
      // Number('') is 0, so an empty cell must be caught before converting.
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) {
        const name = c === 0 ? 'timestamp' : c === 5 ? 'volume' : priceColumns[c - 1]!;
        fail(lineNo, Number.isNaN(v) ? `${name} ${quote(raw)} is not a number` : `${name} ${quote(raw)} is not finite`);
      }
      values[c] = v;
    }
    const [ts, open, high, low, close, volume] = values as [number, number, number, number, number, number];

    if (!Number.isSafeInteger(ts)) fail(lineNo, `timestamp ${ts} is not a whole number of ms since the epoch`);
    const outOfRange = timeOutOfRange(ts, stepMs, now);
    if (outOfRange) fail(lineNo, outOfRange);
    if (ts === prevTs) fail(lineNo, `duplicate timestamp ${ts} (${iso(ts)}), the same as the previous row`);
    if (ts < prevTs)
      fail(lineNo, `timestamps are not sorted: ${ts} (${iso(ts)}) comes after ${prevTs} (${iso(prevTs)})`);
    if (!onGrid(ts)) fail(lineNo, `timestamp ${ts} (${iso(ts)}) is not a ${options.timeframe} candle open time`);
    const fault = candleFault({ open, high, low, close, volume });
    if (fault) fail(lineNo, fault);

    const k = i - 1;
    out.ts[k] = ts;
    out.open[k] = open;
    out.high[k] = high;
    out.low[k] = low;
    out.close[k] = close;
    out.volume[k] = volume;
    prevTs = ts;
  }
  return out;
}

function iso(ts: number): string {
  return new Date(ts).toISOString();
}

/** ` (2024-01-01T00:00:00.000Z)`, or nothing for a time JavaScript cannot show (beyond year 275760). */
function when(ts: number): string {
  return Number.isNaN(new Date(ts).getTime()) ? '' : ` (${iso(ts)})`;
}
