import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { candleCoverage, loadCandleSeries } from '../../market/candles-repo.ts';
import { importCandleCsv } from '../../market/import-csv.ts';
import { getInstrument } from '../../market/instruments-repo.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { malformedCases } from './malformed.ts';
import { HOUR, SAMPLE_FIRST_TS, SAMPLE_LAST_TS, SAMPLE_ROWS, sampleFile, sampleLines } from './sample.ts';

const btc = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-import-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeCsv(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

async function counts(db: Queryable): Promise<{ candles: number; instruments: number }> {
  const [row] = await db.query<{ candles: number; instruments: number }>(
    'select (select count(*) from candles)::int8 as candles, (select count(*) from instruments)::int8 as instruments',
  );
  return row!;
}

describe.each(backends)('importCandleCsv on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());

  it('imports the sample with its instrument, and importing twice leaves 8784 rows', async () => {
    db = await freshDb(kind);
    const first = await importCandleCsv(db, { file: sampleFile, ...btc });
    expect(first).toEqual({
      rows: SAMPLE_ROWS,
      inserted_or_updated: SAMPLE_ROWS,
      first_ts: SAMPLE_FIRST_TS,
      last_ts: SAMPLE_LAST_TS,
    });
    const again = await importCandleCsv(db, { file: sampleFile, ...btc });
    expect(again.inserted_or_updated).toBe(SAMPLE_ROWS);
    expect(await counts(db)).toEqual({ candles: SAMPLE_ROWS, instruments: 1 });
    expect(await candleCoverage(db)).toEqual([
      { ...btc, first_ts: SAMPLE_FIRST_TS, last_ts: SAMPLE_LAST_TS, rows: SAMPLE_ROWS },
    ]);
    expect(await getInstrument(db, 'binance', 'BTC/USDT')).toEqual({
      exchange: 'binance',
      symbol: 'BTC/USDT',
      base: 'BTC',
      quote: 'USDT',
      category: 'major',
      price_precision: null,
      amount_precision: null,
      tick_size: null,
      min_qty: null,
      min_notional: null,
    });
  });

  it('writes nothing for any malformed file, and names the problem', async () => {
    db = await freshDb(kind);
    for (const [name, text, message] of malformedCases) {
      await expect(importCandleCsv(db, { file: writeCsv('btc.csv', text), ...btc }), name).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: expect.stringMatching(message),
      });
    }
    expect(await counts(db)).toEqual({ candles: 0, instruments: 0 });
  });

  it('leaves earlier data untouched when a re-import fails on a later row', async () => {
    db = await freshDb(kind);
    await importCandleCsv(db, { file: sampleFile, ...btc });
    // Rows on lines 2..3 carry new prices, line 6 is broken: none of it may land.
    const lines = sampleLines(5);
    lines[1] = `${SAMPLE_FIRST_TS},1,1,1,1,1`;
    lines[2] = `${SAMPLE_FIRST_TS + HOUR},2,2,2,2,2`;
    const good = lines.join('\n');
    lines[5] = lines[5]!.replace(/,[^,]*$/, ',-1');
    await expect(importCandleCsv(db, { file: writeCsv('btc.csv', lines.join('\n')), ...btc })).rejects.toThrow(
      /line 6: volume -1 is negative/,
    );
    const window = { ...btc, asOf: new Date(SAMPLE_FIRST_TS + 3 * HOUR), limit: 3 };
    expect((await loadCandleSeries(db, window)).open).toEqual([42283.58, 42475.23, 42613.57]);
    // The same edit without the broken row does land, so the check above is not vacuous.
    await importCandleCsv(db, { file: writeCsv('btc.csv', good), ...btc });
    expect((await loadCandleSeries(db, window)).open).toEqual([1, 2, 42613.57]);
    expect(await counts(db)).toEqual({ candles: SAMPLE_ROWS, instruments: 1 });
  });

  it('rolls back the instrument and every candle when the database fails part-way, by COPY or by upsert', async () => {
    db = await freshDb(kind);
    // A fresh import goes in by COPY, a re-import by 5,000-row upserts (the sample needs two):
    // the COPY fails, then the second upsert.
    let upserts = 0;
    const failing: Db = {
      ...db,
      transaction: (fn) =>
        db.transaction((tx) =>
          fn({
            ...tx,
            copyFrom: async () => {
              throw new Error('connection lost');
            },
            query: async (text, params) => {
              if (text.includes('insert into candles') && ++upserts === 2) throw new Error('connection lost');
              return tx.query(text, params);
            },
          }),
        ),
    };
    await expect(importCandleCsv(failing, { file: sampleFile, ...btc })).rejects.toThrow('connection lost');
    expect(await counts(db)).toEqual({ candles: 0, instruments: 0 });

    await importCandleCsv(db, { file: sampleFile, ...btc });
    await db.query("update candles set volume = 7 where ts = '2024-01-01T00:00:00Z'");
    await expect(importCandleCsv(failing, { file: sampleFile, ...btc })).rejects.toThrow('connection lost');
    expect(upserts).toBe(2);
    expect(await counts(db)).toEqual({ candles: SAMPLE_ROWS, instruments: 1 });
    const [last] = await db.query<{ volume: number }>("select volume from candles where ts = '2024-01-01T00:00:00Z'");
    expect(last!.volume).toBe(7); // the first upsert batch was rolled back too
  });

  it('rejects a bad symbol, exchange or timeframe and a missing file before touching the database', async () => {
    db = await freshDb(kind);
    const file = sampleFile;
    await expect(importCandleCsv(db, { ...btc, file, symbol: 'btc/usdt' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/^Symbol 'btc\/usdt' is not valid/),
    });
    await expect(importCandleCsv(db, { ...btc, file, symbol: 'BTCUSDT' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(importCandleCsv(db, { ...btc, file, exchange: 'Binance' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/^Exchange 'Binance' is not valid/),
    });
    await expect(importCandleCsv(db, { ...btc, file, timeframe: '4h' })).rejects.toThrow(
      /line 3: .* is not a 4h candle open time/,
    );
    await expect(importCandleCsv(db, { ...btc, file: path.join(tmp, 'nope.csv') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `File ${path.join(tmp, 'nope.csv')} does not exist: check the path.`,
    });
    expect(await counts(db)).toEqual({ candles: 0, instruments: 0 });
  });

  it('keeps an existing richer instrument row as it is', async () => {
    db = await freshDb(kind);
    await db.query(
      `insert into instruments (exchange, symbol, base, quote, category, price_precision, tick_size)
       values ('binance', 'BTC/USDT', 'BTC', 'USDT', 'bluechip', 2, 0.01)`,
    );
    await importCandleCsv(db, { file: sampleFile, ...btc });
    const inst = await getInstrument(db, 'binance', 'BTC/USDT');
    expect(inst).toMatchObject({ category: 'bluechip', price_precision: 2, tick_size: 0.01 });
    await expect(getInstrument(db, 'binance', 'ETH/USDT')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
