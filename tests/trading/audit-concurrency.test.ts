import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../store/db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { verifyAuditTrail } from '../../trading/audit/audit-verify.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { writeSampleRows } from './audit-fixtures.ts';

// Only Postgres has concurrent connections; PGlite is one connection in one process.
describe('concurrent audit writers (postgres)', () => {
  let db: TestDb;
  let writers: Db[] = [];
  beforeEach(async () => {
    db = await freshDb('postgres');
    writers = await Promise.all([1, 2, 3, 4].map(() => openPostgresDb(db.url!)));
  });
  afterEach(async () => {
    await Promise.all(writers.map((w) => w.close()));
    await db?.dispose();
  });

  it('4 connections writing 25 rows each at once make one unbroken chain of 100 rows', async () => {
    const seqs = (await Promise.all(writers.map((w, k) => writeSampleRows(w, 25, k * 25)))).flat();
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const v = await verifyAuditTrail(db);
    expect(v).toMatchObject({ ok: true, rows_checked: 100, head: { seq: 100 }, problems: [] });
  });

  it('a verification running while writers append sees one consistent snapshot', async () => {
    const writing = Promise.all(writers.map((w, k) => writeSampleRows(w, 25, k * 25)));
    const during = await verifyAuditTrail(db, { pageSize: 5 });
    await writing;
    expect(during.ok).toBe(true);
    expect(during.head!.seq).toBe(during.rows_checked);
    expect((await verifyAuditTrail(db)).rows_checked).toBe(100);
  });
});
