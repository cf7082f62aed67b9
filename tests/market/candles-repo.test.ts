import { afterEach, describe, expect, it } from 'vitest';
import { candleCoverage, loadCandleSeries, upsertCandles } from '../../market/candles-repo.ts';
import { parseCandleCsv, type CandleColumns } from '../../market/csv-candles.ts';
import { CandleSeries } from '../../sdk/context-schemas.ts';
import type { Queryable } from '../../store/db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { HOUR, SAMPLE_FIRST_TS, SAMPLE_ROWS, sampleText } from './sample.ts';

const btc = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const sample = parseCandleCsv(sampleText, { timeframe: '1h' });

function slice(c: CandleColumns, start: number, end?: number): CandleColumns {
  return {
    ts: c.ts.slice(start, end),
    open: c.open.slice(start, end),
    high: c.high.slice(start, end),
    low: c.low.slice(start, end),
    close: c.close.slice(start, end),
    volume: c.volume.slice(start, end),
  };
}

describe.each(backends)('candles repository on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());

  it('round-trips every timestamp and price exactly, across batches', async () => {
    db = await freshDb(kind);
    expect(await upsertCandles(db, btc, sample)).toBe(SAMPLE_ROWS);
    const series = await loadCandleSeries(db, { ...btc, asOf: new Date('2030-01-01T00:00:00Z'), limit: 100_000 });
    expect(CandleSeries.parse(series)).toEqual({ ...btc, ...sample });
    const [row] = await db.query<{ ts: Date }>("select ts from candles where ts = '2024-01-01T00:00:00Z'");
    expect(row!.ts).toBeInstanceOf(Date);
    expect(row!.ts.getTime()).toBe(SAMPLE_FIRST_TS);
  });

  it('keeps millisecond precision for sub-second open times', async () => {
    db = await freshDb(kind);
    const ts = [1704067200001, 1704067260999];
    await upsertCandles(
      db,
      { ...btc, timeframe: '1m' },
      { ts, open: [1, 2], high: [1, 2], low: [1, 2], close: [1, 2], volume: [0, 0.5] },
    );
    const s = await loadCandleSeries(db, { ...btc, timeframe: '1m', asOf: new Date(1704067400000), limit: 10 });
    expect(s.ts).toEqual(ts);
  });

  it('returns only candles closed by asOf, oldest first, the newest `limit` of them', async () => {
    db = await freshDb(kind);
    await upsertCandles(db, btc, sample);
    const t = (h: number) => SAMPLE_FIRST_TS + h * HOUR;
    // At 10:00 the 09:00 candle has just closed; the 10:00 one has not.
    let s = await loadCandleSeries(db, { ...btc, asOf: new Date(t(10)), limit: 3 });
    expect(s.ts).toEqual([t(7), t(8), t(9)]);
    expect(s.close).toEqual(sample.close.slice(7, 10));
    // One ms earlier the 09:00 candle is still open.
    s = await loadCandleSeries(db, { ...btc, asOf: new Date(t(10) - 1), limit: 3 });
    expect(s.ts).toEqual([t(6), t(7), t(8)]);
    // Fewer candles exist than asked for.
    s = await loadCandleSeries(db, { ...btc, asOf: new Date(t(2)), limit: 50 });
    expect(s.ts).toEqual([t(0), t(1)]);
    s = await loadCandleSeries(db, { ...btc, asOf: new Date(t(0) + HOUR - 1), limit: 50 });
    expect(s.ts).toEqual([]);
    // Other series never leak in.
    s = await loadCandleSeries(db, { ...btc, symbol: 'ETH/USDT', asOf: new Date(t(10)), limit: 3 });
    expect(s.ts).toEqual([]);
    await expect(loadCandleSeries(db, { ...btc, asOf: new Date(t(10)), limit: 0 })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });

  it('upserts: a second write of the same candles replaces values instead of adding rows', async () => {
    db = await freshDb(kind);
    await upsertCandles(db, btc, slice(sample, 0, 10));
    const changed = slice(sample, 5, 15);
    changed.close = changed.close.map(() => 50_000);
    changed.high = changed.high.map((h) => Math.max(h, 50_000));
    changed.low = changed.low.map((l) => Math.min(l, 50_000));
    expect(await upsertCandles(db, btc, changed)).toBe(10);
    const s = await loadCandleSeries(db, { ...btc, asOf: new Date(SAMPLE_FIRST_TS + 15 * HOUR), limit: 100 });
    expect(s.ts).toHaveLength(15);
    expect(s.close).toEqual([...sample.close.slice(0, 5), ...Array(10).fill(50_000)]);
  });

  it('is all-or-nothing inside a transaction even when a later batch violates a constraint', async () => {
    db = await freshDb(kind);
    const bad = slice(sample, 0, 7000);
    bad.low[6500] = bad.high[6500]! + 1; // breaks the table's high >= low check, in the second batch
    await expect(db.transaction((tx) => upsertCandles(tx, btc, bad))).rejects.toThrow();
    expect(await candleCoverage(db)).toEqual([]);
  });

  it('writes a span the table does not hold by COPY and anything else by upsert, to the same values', async () => {
    db = await freshDb(kind);
    const calls = { copy: 0, upsert: 0 };
    const counting: Queryable = {
      ...db,
      query: (text, params) => (/insert into candles/.test(text) && calls.upsert++, db.query(text, params)),
      copyFrom: (table, columns, rows) => (calls.copy++, db.copyFrom(table, columns, rows)),
    };
    const write = async (c: CandleColumns) => {
      const before = { ...calls };
      expect(await upsertCandles(counting, btc, c)).toBe(c.ts.length);
      return { copy: calls.copy - before.copy, upsert: calls.upsert - before.upsert };
    };
    expect(await write(slice(sample, 0, 3000))).toEqual({ copy: 1, upsert: 0 }); // empty table
    expect(await write(slice(sample, 5000, 6000))).toEqual({ copy: 1, upsert: 0 }); // after a hole
    expect(await write(slice(sample, 2000, 5000))).toEqual({ copy: 0, upsert: 1 }); // overlaps the first
    const gap = slice(sample, 6500, 6510);
    gap.low[3] = gap.high[3]! + 1; // unsound: the upsert's error names it, COPY's would not
    await expect(write(gap)).rejects.toThrow(/candles_check|violates check constraint/);
    const shuffled = slice(sample, 7000, 7003);
    shuffled.ts.reverse(); // out of order: the upsert
    expect(await write(shuffled)).toEqual({ copy: 0, upsert: 1 });
    const stored = await loadCandleSeries(db, { ...btc, asOf: new Date('2030-01-01T00:00:00Z'), limit: 100_000 });
    expect(stored.ts.length).toBe(6003);
    expect(stored.close.slice(0, 6000)).toEqual(sample.close.slice(0, 6000));
    expect(stored.volume.slice(0, 6000)).toEqual(sample.volume.slice(0, 6000));
  });

  it('a COPY the database refuses fails with its reason (no hang) and writes nothing', async () => {
    db = await freshDb(kind);
    const { binaryCopyRows } = await import('../../store/binary-copy.ts');
    const columns = ['exchange', 'symbol', 'timeframe', 'ts', 'open', 'high', 'low', 'close', 'volume'];
    const rows = (low: number) =>
      binaryCopyRows(2, [
        { kind: 'text', value: 'binance' },
        { kind: 'text', value: 'BTC/USDT' },
        { kind: 'text', value: '1h' },
        { kind: 'timestamptz', ms: [SAMPLE_FIRST_TS, SAMPLE_FIRST_TS + HOUR] },
        ...[
          [100, 100],
          [110, 110],
          [low, 90],
          [105, 105],
          [1, 1],
        ].map((values) => ({ kind: 'float8' as const, values })),
      ]);
    await expect(db.transaction((tx) => tx.copyFrom('candles', columns, rows(120)))).rejects.toThrow(/check/);
    await expect(db.copyFrom('candles', columns, rows(120))).rejects.toThrow(/check/);
    expect(await candleCoverage(db)).toEqual([]);
    await db.copyFrom('candles', columns, rows(90));
    expect((await candleCoverage(db)).map((c) => c.rows)).toEqual([2]);
  });

  it('lists coverage per series, optionally filtered', async () => {
    db = await freshDb(kind);
    await upsertCandles(db, btc, sample);
    await upsertCandles(db, { ...btc, symbol: 'ETH/USDT' }, slice(sample, 100, 200));
    await upsertCandles(db, { ...btc, exchange: 'kraken' }, slice(sample, 0, 1));
    expect(await candleCoverage(db)).toEqual([
      { ...btc, first_ts: sample.ts[0], last_ts: sample.ts.at(-1), rows: SAMPLE_ROWS },
      { ...btc, symbol: 'ETH/USDT', first_ts: sample.ts[100], last_ts: sample.ts[199], rows: 100 },
      { ...btc, exchange: 'kraken', first_ts: sample.ts[0], last_ts: sample.ts[0], rows: 1 },
    ]);
    expect((await candleCoverage(db, { symbol: 'ETH/USDT' })).map((c) => c.rows)).toEqual([100]);
    expect((await candleCoverage(db, { exchange: 'binance', timeframe: '1h' })).map((c) => c.symbol)).toEqual([
      'BTC/USDT',
      'ETH/USDT',
    ]);
    expect(await candleCoverage(db, { timeframe: '4h' })).toEqual([]);
  });
});
