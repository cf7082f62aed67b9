import fs from 'node:fs';
import path from 'node:path';
import { sampleDataDir } from '../../core/paths.ts';
import type { RawMacroSeries } from '../../market/macro/derive.ts';

/** The shipped CoinGecko macro slice, read independently of the importer (plain split). */

export const macroSampleFile = path.join(sampleDataDir, 'macro', 'coingecko_dominance_daily_2023_2024.csv');
export const DAY = 86_400_000;
export const MACRO_ROWS = 731;
export const MACRO_FIRST_TS = Date.UTC(2023, 0, 1);
export const MACRO_LAST_TS = Date.UTC(2024, 11, 31);

export interface CgRow {
  ts: number;
  total: number;
  btc: number;
  usdt: number;
  btcPct: number;
  usdtPct: number;
  ffill: number;
}

export const macroSampleText = fs.readFileSync(macroSampleFile, 'utf8');

export const cgRows: CgRow[] = macroSampleText
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [ts, total, btc, usdt, btcPct, usdtPct, ffill] = line.split(',').map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return { ts, total, btc, usdt, btcPct, usdtPct, ffill };
  });

export function row(isoDay: string): CgRow {
  const ts = Date.parse(`${isoDay}T00:00:00Z`);
  const r = cgRows.find((x) => x.ts === ts);
  if (!r) throw new Error(`no sample row for ${isoDay}`);
  return r;
}

/** Raw series as coingecko_csv stores it, for the rows in [from, to] (inclusive days). */
export function cgRaw(fromDay: string, toDay: string): RawMacroSeries {
  const from = Date.parse(`${fromDay}T00:00:00Z`);
  const to = Date.parse(`${toDay}T00:00:00Z`);
  const rows = cgRows.filter((r) => r.ts >= from && r.ts <= to);
  const col = (f: (r: CgRow) => number) => ({ ts: rows.map((r) => r.ts), value: rows.map(f) });
  return {
    source: 'coingecko_csv',
    metrics: {
      TOTAL: col((r) => r.total),
      'BTC.MCAP': col((r) => r.btc),
      'USDT.MCAP': col((r) => r.usdt),
      'TOTAL.FFILL': col((r) => r.ffill),
    },
  };
}
