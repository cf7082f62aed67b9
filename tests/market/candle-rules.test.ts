import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candleFault, soundCandleSql, type CandleValues } from '../../market/candle-rules.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * One rule, three places: candleFault (import, fetch, data health, data check), the SQL
 * predicate (marks, fills, data check) and the candles table's CHECK constraints. For any
 * candle, all three must agree, or a row could be stored that a run then cannot use.
 */
const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, -1, 1e-300, 1e300);
const value = fc.oneof({ weight: 3, arbitrary: fc.double({ min: 1, max: 1000, noNaN: true }) }, special);
const candle: fc.Arbitrary<CandleValues> = fc.record({
  open: value,
  high: value,
  low: value,
  close: value,
  volume: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), special),
});
const text = (v: number) => (Number.isNaN(v) ? 'NaN' : String(v));

describe.each(backends)('the candle rule on %s', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(async () => db.dispose());

  it('candleFault, the SQL predicate and the table constraints accept exactly the same candles', async () => {
    let ts = Date.UTC(2024, 0, 1);
    await fc.assert(
      fc.asyncProperty(candle, async (c) => {
        const params = [c.open, c.high, c.low, c.close, c.volume].map(text);
        const [row] = await db.query<{ ok: boolean }>(
          `select ${soundCandleSql('t')} as ok
             from (values ($1::float8, $2::float8, $3::float8, $4::float8, $5::float8)) as t(open, high, low, close, volume)`,
          params,
        );
        ts += 3_600_000;
        const stored = await db
          .query(
            `insert into candles (exchange, symbol, timeframe, ts, open, high, low, close, volume)
             values ('binance', 'BTC/USDT', '1h', timestamptz 'epoch' + $1::float8 * interval '1 millisecond', $2, $3, $4, $5, $6)`,
            [ts, ...params],
          )
          .then(
            () => true,
            (e: Error) => {
              expect(e.message).toMatch(/check constraint/);
              return false;
            },
          );
        const sound = candleFault(c) === null;
        expect(row!.ok).toBe(sound);
        expect(stored).toBe(sound);
      }),
      { numRuns: 150 },
    );
  });

  it('names what is wrong', () => {
    const ok = { open: 10, high: 12, low: 9, close: 11, volume: 5 };
    expect(candleFault(ok)).toBeNull();
    expect(candleFault({ ...ok, volume: Number.NaN })).toBe('volume NaN is not a finite number');
    expect(candleFault({ ...ok, high: Infinity })).toBe('high Infinity is not a finite number');
    expect(candleFault({ ...ok, open: 0 })).toBe('prices must be positive');
    expect(candleFault({ ...ok, volume: -1 })).toBe('volume -1 is negative');
    expect(candleFault({ ...ok, high: 8 })).toBe('high 8 is below low 9');
    expect(candleFault({ ...ok, close: 13 })).toBe('open 10 and close 13 must lie between low 9 and high 12');
  });
});
