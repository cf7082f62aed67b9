import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchAudit, type AuditFilter } from '../../trading/audit/audit-query.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { sampleEntry, writeSampleRows } from './audit-fixtures.ts';

const seqsOf = async (db: TestDb, filter: AuditFilter) => (await searchAudit(db, filter)).map((r) => r.seq);
/** The 1-based seqs of the 30 sample rows that satisfy `pick`, computed from the fixture itself. */
const expected = (pick: (e: ReturnType<typeof sampleEntry>) => boolean) =>
  Array.from({ length: 30 }, (_, i) => i)
    .filter((i) => pick(sampleEntry(i)))
    .map((i) => i + 1);

describe.each(backends)('audit trail search (%s)', (kind) => {
  let db: TestDb;
  let middleTs: Date;
  beforeAll(async () => {
    db = await freshDb(kind);
    // Times are stored to the millisecond; the pauses make row 15 the only row of its millisecond, and row 16 the first of a later one.
    await writeSampleRows(db, 14);
    await db.query('select pg_sleep(0.01)');
    await writeSampleRows(db, 1, 14);
    middleTs = (await db.query<{ ts: Date }>('select ts from audit_trail where seq = 15'))[0]!.ts;
    await db.query('select pg_sleep(0.01)');
    await writeSampleRows(db, 15, 15);
  });
  afterAll(async () => db?.dispose());

  it('returns the newest rows, newest last, as typed rows', async () => {
    const rows = await searchAudit(db, { limit: 3 });
    expect(rows.map((r) => r.seq)).toEqual([28, 29, 30]);
    expect(rows[2]).toMatchObject({
      ...sampleEntry(29),
      seq: 30,
      ts: expect.any(Date),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('each filter narrows by its column', async () => {
    const all = { limit: 100 };
    expect(await seqsOf(db, { ...all, mode: 'LIVE' })).toEqual(expected((e) => e.mode === 'LIVE'));
    expect(await seqsOf(db, { ...all, actor: 'USER' })).toEqual(expected((e) => e.actor === 'USER'));
    expect(await seqsOf(db, { ...all, status: 'REJECTED' })).toEqual(expected((e) => e.status === 'REJECTED'));
    expect(await seqsOf(db, { ...all, action: 'ORDER_PLACED' })).toEqual(
      expected((e) => e.action_type === 'ORDER_PLACED'),
    );
    expect(await seqsOf(db, { ...all, profile: 'high' })).toEqual(expected((e) => e.risk_profile === 'high'));
    expect(await seqsOf(db, { ...all, entity_type: 'order' })).toEqual(expected((e) => e.entity_type === 'order'));
    expect(await seqsOf(db, { ...all, entity_type: 'order', entity_id: 'ord-7' })).toEqual([8]);
    expect(await seqsOf(db, { ...all, mode: 'TEST', actor: 'SYSTEM' })).toEqual(
      expected((e) => e.mode === 'TEST' && e.actor === 'SYSTEM'),
    );
  });

  it('since is inclusive, until exclusive', async () => {
    const firstOfSecondBatch = (await db.query<{ ts: Date }>('select ts from audit_trail where seq = 16'))[0]!.ts;
    expect(firstOfSecondBatch.getTime()).toBeGreaterThan(middleTs.getTime());
    const first = expected(() => true).slice(0, 15);
    const second = expected(() => true).slice(15);
    expect(await seqsOf(db, { limit: 100, until: firstOfSecondBatch })).toEqual(first);
    expect(await seqsOf(db, { limit: 100, since: firstOfSecondBatch })).toEqual(second);
    expect(await seqsOf(db, { limit: 100, since: middleTs, until: firstOfSecondBatch })).toEqual([15]);
  });

  it('text matches a substring of the details JSON, case-insensitively, with no wildcards', async () => {
    expect(await seqsOf(db, { limit: 100, text: 'eth/usdt' })).toEqual(
      expected((e) => e.details!.symbol === 'ETH/USDT'),
    );
    // ASCII text is folded in the "C" collation, the rest in the locale's: both ignore case.
    expect(await seqsOf(db, { limit: 100, text: 'Eth/UsdT' })).toEqual(
      await seqsOf(db, { limit: 100, text: 'eth/usdt' }),
    );
    expect(await seqsOf(db, { limit: 100, text: 'GRÖSSE ✓' })).toHaveLength(0);
    expect(await seqsOf(db, { limit: 100, text: 'GRÖßE ✓' })).toHaveLength(30);
    expect(await seqsOf(db, { limit: 100, text: '"i": 7,' })).toEqual([8]);
    expect(await seqsOf(db, { limit: 100, text: 'größe ✓' })).toHaveLength(30);
    expect(await seqsOf(db, { limit: 100, text: '%' })).toEqual([]);
    expect(await seqsOf(db, { limit: 100, text: '_' })).toEqual([]);
  });

  it('a filter that matches nothing, and values that only travel as parameters', async () => {
    expect(await seqsOf(db, { limit: 100, entity_type: "order' or '1'='1" })).toEqual([]);
    expect(await seqsOf(db, { limit: 100, text: "'); drop table audit_trail; --" })).toEqual([]);
    expect(await seqsOf(db, { limit: 5 })).toEqual([26, 27, 28, 29, 30]);
  });

  it('refuses an invalid filter', async () => {
    await expect(searchAudit(db, { limit: 0 })).rejects.toThrow();
    await expect(searchAudit(db, { limit: 5, since: middleTs, until: middleTs })).rejects.toThrow(
      /since must be before until/,
    );
  });
});
