import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditTrail } from '../../trading/audit/audit-verify.ts';
import { auditRowHash, hashedColumns, HashedRow } from '../../trading/audit/audit-hash.ts';
import { queryRows } from '../../store/db.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { tamper, writeSampleRows } from './audit-fixtures.ts';

const problemsOf = async (db: TestDb, options = {}) =>
  (await verifyAuditTrail(db, options)).problems.map((p) => [p.kind, p.seq]);
const hashOf = async (db: TestDb, seq: number) =>
  (await db.query<{ hash: string }>('select hash from audit_trail where seq = $1', [seq]))[0]!.hash;

/** Re-links and re-hashes every row from `from` on with the database's own function, as a careful attacker would. */
const rehashFrom = (from: number, firstPrevHash = `(select hash from audit_trail where seq = ${from - 1})`) => `do $$
  declare r record; p text;
  begin
    p := ${firstPrevHash};
    for r in select seq from audit_trail where seq >= ${from} order by seq loop
      update audit_trail set prev_hash = p where seq = r.seq;
      update audit_trail a set hash = encode(sha256(convert_to(audit_row_text(a), 'UTF8')), 'hex') where seq = r.seq returning hash into p;
    end loop;
  end $$`;

describe.each(backends)('audit trail verification (%s)', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
    await writeSampleRows(db, 20);
  });
  afterEach(async () => db?.dispose());

  it('an untouched chain of 20 rows verifies, and its head is the last row', async () => {
    const v = await verifyAuditTrail(db);
    expect(v).toEqual({ ok: true, rows_checked: 20, head: { seq: 20, hash: await hashOf(db, 20) }, problems: [] });
    // Small pages walk the same chain across page boundaries.
    expect(await verifyAuditTrail(db, { pageSize: 3 })).toEqual(v);
  });

  it('the hash recomputed in TypeScript equals the one the trigger stored, for every row', async () => {
    const rows = await queryRows(db, HashedRow, `select ${hashedColumns} from audit_trail order by seq`);
    expect(rows.map(auditRowHash)).toEqual(rows.map((r) => r.hash));
  });

  it('an empty trail verifies with the genesis head', async () => {
    const empty = await freshDb(kind);
    try {
      expect(await verifyAuditTrail(empty)).toEqual({
        ok: true,
        rows_checked: 0,
        head: { seq: 0, hash: '0'.repeat(64) },
        problems: [],
      });
    } finally {
      await empty.dispose();
    }
  });

  it('UPDATE, DELETE and TRUNCATE are rejected by the triggers', async () => {
    await expect(db.query(`update audit_trail set status = 'SUCCESS' where seq = 3`)).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(db.query('delete from audit_trail where seq = 3')).rejects.toThrow(/append-only: DELETE/);
    await expect(db.query('truncate audit_trail')).rejects.toThrow(/append-only: TRUNCATE/);
    await expect(db.query('delete from audit_chain_head')).rejects.toThrow(/append-only: DELETE/);
    await expect(db.query('update audit_chain_head set seq = 0')).rejects.toThrow(/moves only when a row is appended/);
    expect((await verifyAuditTrail(db)).ok).toBe(true);
  });

  it('altered details of a middle row', async () => {
    await tamper(db, `update audit_trail set details = details || '{"i": 999}' where seq = 10`);
    expect(await problemsOf(db)).toEqual([['altered', 10]]);
  });

  it('an altered status', async () => {
    await tamper(
      db,
      `update audit_trail set status = case when status = 'SUCCESS' then 'REJECTED' else 'SUCCESS' end where seq = 7`,
    );
    expect(await problemsOf(db)).toEqual([['altered', 7]]);
  });

  it('a deleted middle row, and a deleted run of rows', async () => {
    await tamper(db, 'delete from audit_trail where seq = 10');
    const v = await verifyAuditTrail(db);
    expect(v.problems).toEqual([{ seq: 10, kind: 'missing', detail: 'row 10 is missing: deleted from the trail' }]);
    await tamper(db, 'delete from audit_trail where seq in (11, 12)');
    expect((await verifyAuditTrail(db)).problems).toEqual([
      { seq: 10, kind: 'missing', detail: 'rows 10 to 12 are missing: deleted from the trail' },
    ]);
  });

  it('a deleted first row', async () => {
    await tamper(db, 'delete from audit_trail where seq = 1');
    expect(await problemsOf(db)).toEqual([['missing', 1]]);
  });

  it('a deleted last row: the tail cut shows as a head mismatch', async () => {
    await tamper(db, 'delete from audit_trail where seq = 20');
    const v = await verifyAuditTrail(db);
    expect(v.rows_checked).toBe(19);
    expect(v.problems).toEqual([
      {
        seq: 20,
        kind: 'head_mismatch',
        detail: 'the chain head records row 20 but the trail ends at row 19: rows were cut off the end',
      },
    ]);
  });

  it('two rows swapped with their hashes: both altered, and the links around them broken', async () => {
    await tamper(
      db,
      `update audit_trail a set ts = b.ts, mode = b.mode, actor = b.actor, action_type = b.action_type, status = b.status,
         risk_profile = b.risk_profile, details = b.details, entity_type = b.entity_type, entity_id = b.entity_id, prev_hash = b.prev_hash, hash = b.hash
       from audit_trail b where (a.seq, b.seq) in ((5, 12), (12, 5))`,
    );
    expect(await problemsOf(db)).toEqual([
      ['out_of_order', 5],
      ['altered', 5],
      ['out_of_order', 6],
      ['out_of_order', 12],
      ['altered', 12],
      ['out_of_order', 13],
    ]);
  });

  it('a forged row appended with a copied hash', async () => {
    const h20 = await hashOf(db, 20);
    await tamper(
      db,
      `insert into audit_trail (seq, ts, mode, actor, action_type, status, details, prev_hash, hash)
       values (21, now(), 'LIVE', 'USER', 'ORDER_PLACED', 'APPROVED', '{"forged": true}', '${h20}', '${h20}')`,
    );
    expect(await problemsOf(db)).toEqual([
      ['altered', 21],
      ['inserted', 21],
    ]);
  });

  it('a forged row in the middle, the later rows renumbered to make room', async () => {
    const h10 = await hashOf(db, 10);
    await tamper(
      db,
      `update audit_trail set seq = -seq where seq > 10;
       update audit_trail set seq = 1 - seq where seq < 0;
       insert into audit_trail (seq, ts, mode, actor, action_type, status, details, prev_hash, hash)
       values (11, now(), 'LIVE', 'USER', 'ORDER_PLACED', 'APPROVED', '{"forged": true}', '${h10}', '${await hashOf(db, 11)}')`,
    );
    const problems = await problemsOf(db);
    expect(problems[0]).toEqual(['altered', 11]);
    // Every renumbered row fails its hash (the seq is hashed), and the one past the head is flagged as inserted.
    expect(problems).toContainEqual(['altered', 21]);
    expect(problems).toContainEqual(['inserted', 21]);
  });

  it('a forged row appended with a correct hash but without moving the head', async () => {
    await tamper(
      db,
      `insert into audit_trail (seq, ts, mode, actor, action_type, status, details, prev_hash, hash)
       values (21, now(), 'LIVE', 'USER', 'ORDER_PLACED', 'APPROVED', '{"forged": true}', (select hash from audit_trail where seq = 20), '');
       update audit_trail a set hash = encode(sha256(convert_to(audit_row_text(a), 'UTF8')), 'hex') where seq = 21`,
    );
    expect(await problemsOf(db)).toEqual([['inserted', 21]]);
  });

  it('a row altered and every later row re-hashed with the SQL function: caught by the head, unless the head is rewritten too', async () => {
    const anchor = (await verifyAuditTrail(db)).head!.hash;
    await tamper(db, `update audit_trail set details = details || '{"i": 999}' where seq = 10; ${rehashFrom(10)}`);
    expect(await problemsOf(db)).toEqual([['head_mismatch', 20]]);

    // An attacker who also rewrites the head leaves a self-consistent chain: only an anchor recorded elsewhere catches it.
    await tamper(db, `update audit_chain_head set hash = (select hash from audit_trail where seq = 20)`);
    expect(await verifyAuditTrail(db)).toMatchObject({ ok: true, rows_checked: 20 });
    expect(await problemsOf(db, { expectHead: anchor })).toEqual([['head_mismatch', null]]);
  });

  it('an anchor recorded earlier still verifies after more rows are written', async () => {
    const anchor = (await verifyAuditTrail(db)).head!.hash;
    await writeSampleRows(db, 5, 20);
    expect(await verifyAuditTrail(db, { expectHead: anchor })).toMatchObject({
      ok: true,
      rows_checked: 25,
      problems: [],
    });
    // An anchor taken before the trail began (the genesis hash) also holds.
    expect((await verifyAuditTrail(db, { expectHead: '0'.repeat(64) })).ok).toBe(true);
  });

  it('the first row re-linked to something other than the genesis hash', async () => {
    await tamper(db, rehashFrom(1, "repeat('1', 64)"));
    await tamper(db, `update audit_chain_head set hash = (select hash from audit_trail where seq = 20)`);
    expect(await problemsOf(db)).toEqual([['out_of_order', 1]]);
  });

  it('a deleted chain head row', async () => {
    await db.exec(
      'alter table audit_chain_head disable trigger user; delete from audit_chain_head; alter table audit_chain_head enable trigger user',
    );
    const v = await verifyAuditTrail(db);
    expect(v.head).toBeNull();
    expect(v.problems).toEqual([
      { seq: null, kind: 'head_mismatch', detail: 'the chain head row (audit_chain_head) is missing: it was deleted' },
    ]);
  });
});
