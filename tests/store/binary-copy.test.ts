import { afterEach, describe, expect, it } from 'vitest';
import { binaryCopyRows } from '../../store/binary-copy.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * The binary COPY encoder against each real database: every number arrives bit for bit
 * (no text round trip), timestamps before and after Postgres' 2000 epoch to the
 * microsecond, and texts as given.
 */
describe.each(backends)('binary COPY rows on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());

  it('arrive exactly: extreme floats, timestamps either side of 2000, texts', async () => {
    db = await freshDb(kind);
    await db.exec('create table copy_check (label text, ts timestamptz, x float8)');
    const ts = [
      Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      946684800000,
      1704067200001.5,
      4102444800000,
    ];
    const x = [-0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, -123456.789];
    expect(
      await db.copyFrom(
        'copy_check',
        ['label', 'ts', 'x'],
        binaryCopyRows(5, [
          { kind: 'text', value: 'BTC/USDT ü' },
          { kind: 'timestamptz', ms: ts },
          { kind: 'float8', values: x },
        ]),
      ),
    ).toBe(true);
    const rows = await db.query<{ label: string; ms: string; x: number }>(
      'select label, (extract(epoch from ts) * 1000000)::int8::text as ms, x from copy_check order by ts',
    );
    expect(rows.map((r) => r.label)).toEqual(Array(5).fill('BTC/USDT ü'));
    expect(rows.map((r) => Number(r.ms) / 1000)).toEqual(ts);
    expect(rows.map((r) => r.x)).toEqual(x);
    expect(Object.is(rows[0]!.x, -0)).toBe(true);
  });
});
