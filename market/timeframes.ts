import { TraderError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The ccxt timeframes trader accepts. A closed list rather than a `<n><unit>` parser:
 * exchanges only serve these, and '1M' (month) has no fixed length in ms.
 */
const timeframeMs = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '2h': 2 * HOUR,
  '4h': 4 * HOUR,
  '6h': 6 * HOUR,
  '12h': 12 * HOUR,
  '1d': DAY,
  '1w': 7 * DAY,
} as const;

export type Timeframe = keyof typeof timeframeMs;

export const timeframes = Object.keys(timeframeMs) as Timeframe[];

export function isTimeframe(value: string): value is Timeframe {
  return Object.hasOwn(timeframeMs, value);
}

/**
 * Where candle open times fall: ts = offset + k * step. Weekly candles open on Monday
 * 00:00 UTC (ccxt/Binance) while the epoch was a Thursday, hence the 4-day offset.
 */
export function timeframeOffsetMs(value: string): number {
  return isTimeframe(value) ? stepOffsetMs(timeframeMs[value]) : 0;
}

/** The same offset from a candle's length in ms (data health knows only that). */
export function stepOffsetMs(stepMs: number): number {
  return stepMs === timeframeMs['1w'] ? 4 * DAY : 0;
}

/** Length of one candle in ms; an unknown timeframe is bad input naming the valid ones. */
export function parseTimeframe(value: string): number {
  if (!isTimeframe(value)) {
    throw new TraderError('BAD_INPUT', `Unknown timeframe ${quote(value)}: use one of ${timeframes.join(', ')}.`);
  }
  return timeframeMs[value];
}
