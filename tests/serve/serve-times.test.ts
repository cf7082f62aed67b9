import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectError, type Harness, serveOn } from './harness.ts';

/**
 * `POST /runs` reads `as_of` like `trader run --as-of`: a time that is not on the calendar
 * (JavaScript would roll 2024-02-30 to 1 March) or lies in the future is a 400, and no
 * run row is written for it.
 */
describe.each(backends)('trader serve: decision times (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  const now = new Date('2024-03-05T03:00:00Z');
  beforeAll(async () => {
    db = await freshDb(kind);
    h = await serveOn(db, { clock: () => now });
  });
  afterAll(async () => {
    await h?.server.close();
    await db?.dispose();
  });

  const post = (as_of: string) =>
    h.call('/runs', { method: 'POST', body: JSON.stringify({ symbols: ['BTC/USDT'], as_of, offline: true }) });

  it.each([
    ['2024-02-30', /as_of '2024-02-30' is not a UTC time: February 2024 has 29 days/],
    ['2023-02-29T10:00:00Z', /February 2023 has 28 days/],
    ['2024-04-31T00:00:00Z', /April 2024 has 30 days/],
    ['2024-03-05T24:00:00Z', /hours run from 00 to 23/],
    ['2024-03-05T10:60:00Z', /minutes and seconds run from 00 to 59/],
    ['2024-00-10', /there is no month 0/],
  ])('as_of %s: 400 naming what is off the calendar', async (asOf, message) => {
    expectError(await post(asOf), 400, 'BAD_INPUT', message);
  });

  it("as_of after the server's clock: 400, it is in the future", async () => {
    expectError(
      await post('2024-03-06T00:00:00Z'),
      400,
      'BAD_INPUT',
      /as_of 2024-03-06T00:00:00.000Z is in the future/,
    );
  });

  it('no run row was written by any refusal', async () => {
    const [row] = await db.query<{ n: number }>('select count(*)::int as n from pipeline_runs');
    expect(row!.n).toBe(0);
  });
});
