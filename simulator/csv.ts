/**
 * CSV candle loading for the exchange stand-in.
 * Format: header `timestamp,open,high,low,close,volume`, `timestamp` = candle open time (ms, UTC).
 */
import { readFileSync } from 'node:fs';

export interface StandInCandle {
  /** candle open time, ms since epoch (UTC) */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const HEADER = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];

/** Parses CSV text into ascending candles; throws on a bad header, bad number or unsorted rows. */
export function parseCsvCandles(text: string, source = 'csv'): StandInCandle[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  if (header.join(',') !== HEADER.join(',')) {
    throw new Error(`${source}: expected header ${HEADER.join(',')}, got ${lines[0] ?? '(empty)'}`);
  }
  const out: StandInCandle[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    const nums = cells.map((c) => Number(c));
    if (cells.length !== 6 || nums.some((n) => !Number.isFinite(n))) {
      throw new Error(`${source}:${i + 1}: bad row ${lines[i]}`);
    }
    const [ts, open, high, low, close, volume] = nums as [number, number, number, number, number, number];
    const prev = out[out.length - 1];
    if (prev !== undefined && ts <= prev.ts) throw new Error(`${source}:${i + 1}: timestamps not ascending`);
    out.push({ ts, open, high, low, close, volume });
  }
  return out;
}

/** Reads a candle CSV file (see parseCsvCandles). */
export function loadCsvCandles(file: string): StandInCandle[] {
  return parseCsvCandles(readFileSync(file, 'utf8'), file);
}

/** Columnar series (the project's CandleSeries shape) to stand-in rows. */
export function fromColumnar(s: {
  ts: readonly number[];
  open: readonly number[];
  high: readonly number[];
  low: readonly number[];
  close: readonly number[];
  volume: readonly number[];
}): StandInCandle[] {
  return s.ts.map((ts, i) => ({
    ts,
    open: s.open[i] as number,
    high: s.high[i] as number,
    low: s.low[i] as number,
    close: s.close[i] as number,
    volume: s.volume[i] as number,
  }));
}
