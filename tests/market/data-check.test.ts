import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../core/paths.ts';
import { upsertCandles } from '../../market/candles-repo.ts';
import { findBadCandles } from '../../market/data-check.ts';
import { fixBadCandles } from '../../orchestrator/data-fix.ts';
import type { Queryable } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { candleChecksVersion } from '../helpers/old-candles.ts';

/**
 * A database that already holds bad candles when the candle checks arrive: `db migrate`
 * must still succeed, new bad rows are refused from then on, `data check` lists the old
 * ones with what is wrong, and `--fix` removes exactly them, audited, only when confirmed.
 */
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const good = (n: number) => ({
  ts: Array.from({ length: n }, (_, i) => T0 + i * H),
  open: Array(n).fill(100),
  high: Array(n).fill(110),
  low: Array(n).fill(90),
  close: Array(n).fill(105),
  volume: Array(n).fill(1),
});

/** The migrations folder as it was before the candle checks. */
function migrationsBefore(version: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-mig-old-'));
  for (const f of fs.readdirSync(migrationsDir))
    if (f < version) fs.copyFileSync(path.join(migrationsDir, f), path.join(dir, f));
  return dir;
}

const insertRaw = (q: Queryable, ts: number, v: [string, string, string, string, string]) =>
  q.query(
    `insert into candles (exchange, symbol, timeframe, ts, open, high, low, close, volume)
     values ('binance', 'BTC/USDT', '1h', timestamptz 'epoch' + $1::float8 * interval '1 millisecond', $2::float8, $3::float8, $4::float8, $5::float8, $6::float8)`,
    [ts, ...v],
  );

const count = async (q: Queryable, where = 'true') =>
  Number((await q.query<{ n: number }>(`select count(*)::int as n from candles where ${where}`))[0]!.n);

describe.each(backends)('bad candles already stored, on %s', (kind) => {
  let db: TestDb;
  let oldMigrations: string;
  afterEach(async () => {
    fs.rmSync(oldMigrations, { recursive: true, force: true });
    await db?.dispose();
  });

  it('db migrate succeeds over them; data check lists them; --fix removes exactly them, audited, once confirmed', async () => {
    db = await freshDb(kind, { migrated: false });
    oldMigrations = migrationsBefore(candleChecksVersion);
    await migrate(db, oldMigrations);
    const key = { exchange: 'binance', timeframe: '1h' };
    await upsertCandles(db, { ...key, symbol: 'BTC/USDT' }, good(10));
    await upsertCandles(db, { ...key, symbol: 'ETH/USDT' }, good(10));
    // What the old checks let through: NaN passes `volume >= 0` and `high >= low`, zero prices pass them all.
    await insertRaw(db, T0 + 10 * H, ['100', '110', '90', '105', 'NaN']);
    await insertRaw(db, T0 + 11 * H, ['0', '0', '0', '0', '1']);
    await insertRaw(db, T0 + 12 * H, ['100', 'Infinity', '90', '105', '1']);
    await insertRaw(db, T0 + 13 * H + 30 * 60_000, ['100', '110', '90', '105', '1']); // off the 1h grid

    expect((await migrate(db)).map((m) => m.version)).toContain(candleChecksVersion);
    await expect(insertRaw(db, T0 + 20 * H, ['100', '110', '90', '105', 'NaN'])).rejects.toThrow(
      /candles_volume_finite/,
    );
    await expect(insertRaw(db, T0 + 21 * H, ['-1', '110', '-2', '105', '1'])).rejects.toThrow(
      /candles_prices_finite_positive/,
    );

    const report = await findBadCandles(db);
    expect(report.checked).toEqual({ markets: 2, candles: 24 });
    expect(report.markets).toEqual([{ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', bad: 4 }]);
    expect(report.rows.map((r) => [r.time, r.problem])).toEqual([
      ['2024-01-01T10:00:00.000Z', 'volume NaN is not a finite number'],
      ['2024-01-01T11:00:00.000Z', 'prices must be positive'],
      ['2024-01-01T12:00:00.000Z', 'high Infinity is not a finite number'],
      ['2024-01-01T13:30:00.000Z', 'open time off the 1h grid'],
    ]);
    expect(report.rows[0]!.values).toEqual({ open: 100, high: 110, low: 90, close: 105, volume: 'NaN' });
    expect((await findBadCandles(db, { symbols: ['ETH/USDT'] })).bad).toBe(0);
    await expect(findBadCandles(db, { symbols: ['btc'] })).rejects.toMatchObject({ code: 'BAD_INPUT' });

    const questions: string[] = [];
    await expect(
      fixBadCandles(db, {}, async (q) => {
        questions.push(q);
        return false;
      }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/no candle was removed/) });
    expect(questions).toEqual([
      'Remove 4 bad candle(s) (4 of binance BTC/USDT 1h)? Import or fetch them again afterwards to fill the gaps.',
    ]);
    expect(await count(db)).toBe(24);

    const fixed = await fixBadCandles(db, { symbols: ['BTC/USDT'] }, async () => true);
    expect({ bad: fixed.report.bad, removed: fixed.removed }).toEqual({ bad: 4, removed: 4 });
    expect(await count(db)).toBe(20);
    expect((await findBadCandles(db)).bad).toBe(0);
    const audit = await db.query<{
      mode: string;
      actor: string;
      action_type: string;
      details: Record<string, unknown>;
    }>("select mode, actor, action_type, details from audit_trail where action_type = 'CANDLES_REMOVED'");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ mode: 'SYSTEM', actor: 'USER', details: { removed: 4, symbols: ['BTC/USDT'] } });
    expect((audit[0]!.details.rows as { time: string; values: { volume: unknown } }[])[0]).toMatchObject({
      time: '2024-01-01T10:00:00.000Z',
      values: { volume: 'NaN' },
    });
    // Nothing left to fix: no question, no audit row.
    expect((await fixBadCandles(db, {}, async () => expect.fail('asked with nothing to remove'))).removed).toBe(0);
  });
});
