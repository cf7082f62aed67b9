import fs from 'node:fs';
import path from 'node:path';
import { sampleDataDir } from '../../core/paths.ts';
import { parseCandleCsv, type CandleColumns } from '../../market/csv-candles.ts';
import { upsertCandles } from '../../market/candles-repo.ts';
import type { Queryable } from '../../store/db.ts';

/**
 * The shipped 2024 Q1 sample of the correlation tests (data/sample/PROVENANCE.md): the lead
 * coins BTC and ETH from their 2024 files, the altcoins SOL, XRP and ADA from their Q1 files.
 */

export const Q1_FROM = Date.UTC(2024, 0, 1);
export const Q1_TO = Date.UTC(2024, 3, 1);
export const leadCoins = ['BTC/USDT', 'ETH/USDT'];
export const altcoins = ['SOL/USDT', 'XRP/USDT', 'ADA/USDT'];

const fileOf = (symbol: string) => {
  const base = symbol.split('/')[0]!;
  return path.join(sampleDataDir, `binance_${base}-USDT_1h_2024${leadCoins.includes(symbol) ? '' : '-Q1'}.csv`);
};

/** The raw rows of a symbol's sample file in Q1: [ts, open, high, low, close, volume]. */
export function q1Rows(symbol: string): number[][] {
  return fs
    .readFileSync(fileOf(symbol), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number))
    .filter((r) => r[0]! >= Q1_FROM && r[0]! < Q1_TO);
}

const cache = new Map<string, CandleColumns>();

/** A symbol's Q1 candles as columns (parsed and checked as `trader data import` does). */
export function q1Columns(symbol: string): CandleColumns {
  let c = cache.get(symbol);
  if (!c) {
    const all = parseCandleCsv(fs.readFileSync(fileOf(symbol), 'utf8'), { timeframe: '1h' });
    const keep = all.ts.map((t) => t >= Q1_FROM && t < Q1_TO);
    const pick = (xs: number[]) => xs.filter((_, i) => keep[i]);
    c = {
      ts: pick(all.ts),
      open: pick(all.open),
      high: pick(all.high),
      low: pick(all.low),
      close: pick(all.close),
      volume: pick(all.volume),
    };
    cache.set(symbol, c);
  }
  return c;
}

/** Stores the Q1 candles of every sample symbol (binance, 1h). */
export async function importQ1(q: Queryable, symbols = [...leadCoins, ...altcoins]): Promise<void> {
  for (const symbol of symbols)
    await upsertCandles(q, { exchange: 'binance', symbol, timeframe: '1h' }, q1Columns(symbol));
}
