import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/paths.ts';
import { upsertCandles } from '../market/candles-repo.ts';
import { type CandleColumns, parseCandleCsv } from '../market/csv-candles.ts';
import { ensureInstrument } from '../market/instruments-repo.ts';
import type { Db } from '../store/db.ts';
import { exchange } from './fixtures.ts';

/**
 * Figure 4: candles upserted per second. A fresh (migrated, empty) database receives
 * `target` real candles through `upsertCandles` (each span new, so it writes by binary COPY):
 * whole real series, each under its own synthetic symbol U001/USDT, U002/USDT, ..., cycling
 * through the sources until `target` rows, the last one cut short. One transaction per
 * symbol (ensureInstrument + upsertCandles), as `trader data import` does per file.
 */

export interface UpsertSource {
  label: string;
  timeframe: string;
  columns: CandleColumns;
}

/** Every real candle file: the shipped 2024 samples and all of ../shared/data/market/*.csv when present. */
export function upsertSources(): UpsertSource[] {
  const files: { label: string; file: string; timeframe: string }[] = [
    {
      label: 'data/sample BTC/USDT 1h 2024',
      file: path.join(packageRoot, 'data/sample/binance_BTC-USDT_1h_2024.csv'),
      timeframe: '1h',
    },
    {
      label: 'data/sample ETH/USDT 1h 2024',
      file: path.join(packageRoot, 'data/sample/binance_ETH-USDT_1h_2024.csv'),
      timeframe: '1h',
    },
  ];
  const shared = path.resolve(packageRoot, '../shared/data/market');
  if (fs.existsSync(shared)) {
    for (const name of fs.readdirSync(shared).sort()) {
      const m = /^binance_([A-Z0-9]+)-([A-Z0-9]+)_(\w+)\.csv$/.exec(name);
      if (m) files.push({ label: `shared ${m[1]}/${m[2]} ${m[3]}`, file: path.join(shared, name), timeframe: m[3]! });
    }
  }
  return files.map((f) => ({
    label: f.label,
    timeframe: f.timeframe,
    columns: parseCandleCsv(fs.readFileSync(f.file, 'utf8'), { timeframe: f.timeframe, file: f.file }),
  }));
}

const slice = (c: CandleColumns, n: number): CandleColumns =>
  n >= c.ts.length
    ? c
    : {
        ts: c.ts.slice(0, n),
        open: c.open.slice(0, n),
        high: c.high.slice(0, n),
        low: c.low.slice(0, n),
        close: c.close.slice(0, n),
        volume: c.volume.slice(0, n),
      };

export interface UpsertRateResult {
  rows: number;
  symbols: number;
  ms: number;
  /** Rows the database reports afterwards (a check that every row landed). */
  counted: number;
}

/** Inserts `target` candles into `db` (migrated, no candles yet) and times the inserts only (parsing is done before). */
export async function measureUpsertRate(
  db: Db,
  sources: readonly UpsertSource[],
  target: number,
): Promise<UpsertRateResult> {
  const plan: { symbol: string; timeframe: string; columns: CandleColumns }[] = [];
  for (let left = target, i = 0; left > 0; i++) {
    const s = sources[i % sources.length]!;
    const columns = slice(s.columns, left);
    plan.push({ symbol: `U${String(i + 1).padStart(3, '0')}/USDT`, timeframe: s.timeframe, columns });
    left -= columns.ts.length;
  }
  let rows = 0;
  const t0 = performance.now();
  for (const p of plan) {
    rows += await db.transaction(async (tx) => {
      await ensureInstrument(tx, exchange, p.symbol);
      return upsertCandles(tx, { exchange, symbol: p.symbol, timeframe: p.timeframe }, p.columns);
    });
  }
  const ms = performance.now() - t0;
  const [row] = await db.query<{ n: number }>('select count(*)::int8 as n from candles');
  return { rows, symbols: plan.length, ms, counted: Number(row?.n) };
}
