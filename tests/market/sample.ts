import fs from 'node:fs';
import path from 'node:path';
import { sampleDataDir } from '../../core/paths.ts';

/** The shipped 2024 BTC/USDT 1h history: real candles, with one known shape. */
export const sampleFile = path.join(sampleDataDir, 'binance_BTC-USDT_1h_2024.csv');
export const sampleText = fs.readFileSync(sampleFile, 'utf8');
export const SAMPLE_ROWS = 8784;
export const SAMPLE_FIRST_TS = 1704067200000; // 2024-01-01T00:00Z
export const SAMPLE_LAST_TS = 1735686000000; // 2024-12-31T23:00Z
export const HOUR = 3_600_000;

/** Header plus the first `rows` data lines of the sample, as an array of lines to mutate. */
export function sampleLines(rows: number): string[] {
  return sampleText.split('\n').slice(0, rows + 1);
}
