import { readTextFile } from '../core/read-text-file.ts';
import { TraderError } from '../core/errors.ts';
import { MarketSymbol } from '../sdk/context-schemas.ts';
import type { Db } from '../store/db.ts';
import { upsertCandles } from './candles-repo.ts';
import { parseCandleCsv } from './csv-candles.ts';
import { ensureInstrument } from './instruments-repo.ts';
import { parseTimeframe } from './timeframes.ts';
import { exchangeId } from './exchange-id.ts';
import { quote } from '../core/quote.ts';

export interface ImportCsvOptions {
  file: string;
  exchange: string;
  symbol: string;
  timeframe: string;
}

export interface ImportCsvResult {
  rows: number;
  inserted_or_updated: number;
  /** Open time of the first and last candle in the file, ms. */
  first_ts: number;
  last_ts: number;
}

/**
 * Imports one candle CSV. Everything is validated before the database is touched, and
 * the instrument row and all candles are written in one transaction, so a bad file or a
 * failure half-way leaves the database as it was. Re-importing overwrites (upsert).
 */
export async function importCandleCsv(db: Db, options: ImportCsvOptions): Promise<ImportCsvResult> {
  const { file, exchange, symbol, timeframe } = options;
  if (!MarketSymbol.safeParse(symbol).success) {
    throw new TraderError(
      'BAD_INPUT',
      `Symbol ${quote(symbol)} is not valid: use BASE/QUOTE in capitals, like BTC/USDT.`,
    );
  }
  if (!exchangeId.test(exchange)) {
    throw new TraderError(
      'BAD_INPUT',
      `Exchange ${quote(exchange)} is not valid: use a lowercase ccxt id like binance.`,
    );
  }
  parseTimeframe(timeframe);

  const columns = parseCandleCsv(await readTextFile(file), { timeframe, file });
  const written = await db.transaction(async (tx) => {
    await ensureInstrument(tx, exchange, symbol);
    return upsertCandles(tx, { exchange, symbol, timeframe }, columns);
  });
  return {
    rows: columns.ts.length,
    inserted_or_updated: written,
    first_ts: columns.ts[0]!,
    last_ts: columns.ts[columns.ts.length - 1]!,
  };
}
