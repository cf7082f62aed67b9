import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../store/db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { verifyAuditTrail } from '../../trading/audit/audit-verify.ts';
import { tradingScope, tradingTx, type SystemMode } from '../../trading/scope.ts';
import { initPin, verifyPin } from '../../trading/secrets/pin.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { rejection } from '../helpers/errors.ts';
import { tamper } from './audit-fixtures.ts';

const pin = 'correct horse 42';

/**
 * What a process running as a mode role (inside a trading transaction, or logged in as a
 * member of one mode role) must not be able to do, tried as each role on both backends:
 * reset the wrong-PIN counter, read the PIN hash, write audit rows directly, take a PIN
 * attempt back by rolling back, fool the audit chain with a temporary table, or rewrite
 * trades and entry prices. And what it must still do: verify a PIN, append audit rows.
 */
describe.each(backends)('least privilege of the mode roles (%s)', (kind) => {
  let db: TestDb;
  let asRole: Db | undefined;
  beforeEach(async () => {
    db = await freshDb(kind);
    await initPin(db, pin);
  });
  afterEach(async () => {
    await endSession();
    await db.dispose();
  });

  /** The database seen by a process whose session runs as `role` (as a login member of it would). */
  async function sessionAs(role: string): Promise<Db> {
    if (kind === 'pglite') {
      await db.exec(`set role ${role}`);
      asRole = db;
    } else {
      const url = new URL(db.url!);
      url.searchParams.set('options', `-c role=${role}`);
      asRole = await openPostgresDb(url.toString());
    }
    return asRole;
  }
  async function endSession(): Promise<void> {
    if (asRole && asRole !== db) await asRole.close();
    else if (asRole) await db.exec('reset role');
    asRole = undefined;
  }
  const attempts = async () =>
    (await db.query<{ failed_count: number }>('select failed_count from pin_attempts where id = 1'))[0]!.failed_count;

  describe.each(['TEST', 'LIVE'] as SystemMode[])('as the %s role', (mode) => {
    const scope = tradingScope(mode);
    const asScope = (sql: string) => tradingTx(db, scope, (tx) => tx.query(sql));

    it('cannot reset the wrong-PIN counter, read the PIN hash or a submitted candidate, or insert audit rows', async () => {
      await expect(asScope('update pin_attempts set failed_count = 0, locked_until = null')).rejects.toThrow(
        /permission denied/,
      );
      await expect(asScope('select hash from master_pin')).rejects.toThrow(/permission denied/);
      await expect(asScope('select candidate from pin_checks')).rejects.toThrow(/permission denied/);
      await expect(asScope('delete from pin_checks')).rejects.toThrow(/permission denied/);
      await expect(
        asScope(
          `insert into audit_trail (mode, actor, action_type, status) values ('${mode}', 'USER', 'MODE_CHANGED', 'SUCCESS')`,
        ),
      ).rejects.toThrow(/permission denied/);
      // What it may learn: the key derivation and the salt, nothing that checks a guess offline.
      const params = await asScope('select * from master_pin_params()');
      expect(Object.keys(params[0]!).sort()).toEqual(['kdf', 'salt']);
    });

    it('verifies PINs through the functions, and every miss counts', async () => {
      const session = await sessionAs(scope.role);
      await expect(verifyPin(session, pin, 'probe')).resolves.toBeUndefined();
      expect((await rejection(verifyPin(session, 'wrong-pin', 'probe'))).message).toBe('Wrong PIN.');
      const seq = await recordAudit(session, { mode, actor: 'USER', action_type: 'PROBE', status: 'INFO' });
      await endSession();
      expect(await attempts()).toBe(1);
      const [row] = await db.query<{ db_role: string }>('select db_role from audit_trail where seq = $1', [seq]);
      expect(row!.db_role).toBe(scope.role);
    });

    it('cannot take a PIN attempt back by rolling back: its outcome is given only after the count is committed', async () => {
      // Submitting and asking in one transaction (to roll the count back afterwards) is refused.
      await expect(
        tradingTx(db, scope, async (tx) => {
          const [s] = await tx.query<{ check_id: number }>("select check_id from master_pin_submit('x', 'probe')");
          return tx.query('select * from master_pin_outcome($1::bigint)', [s!.check_id]);
        }),
      ).rejects.toThrow(/only after the transaction that submitted it has committed/);
      // Asking in a transaction that is rolled back leaves the count: three misses lock PIN entry.
      for (let i = 0; i < 3; i++) {
        const [s] = await tradingTx(db, scope, (tx) =>
          tx.query<{ check_id: number }>("select check_id from master_pin_submit('wrong-candidate', 'probe')"),
        );
        await expect(
          tradingTx(db, scope, async (tx) => {
            await tx.query('select * from master_pin_outcome($1::bigint)', [s!.check_id]);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
      }
      expect(await attempts()).toBe(3);
      expect((await rejection(verifyPin(db, pin, 'after the guesses'))).code).toBe('LOCKED');
    });

    it('cannot fool the audit chain with a temporary table named like its head', async () => {
      await tradingTx(db, scope, async (tx) => {
        await tx.exec(
          `create temp table audit_chain_head (id smallint, seq bigint, hash text) on commit drop;
           insert into audit_chain_head values (1, 1000, repeat('f', 64))`,
        );
        await recordAudit(tx, { mode, actor: 'SYSTEM', action_type: 'PROBE', status: 'INFO' });
      });
      const v = await verifyAuditTrail(db);
      expect(v.problems).toEqual([]);
      expect(v.head!.seq).toBe(v.rows_checked);
    });

    it('appends trades but cannot rewrite them, nor the facts a position or proposal was opened with', async () => {
      const t = (name: Parameters<typeof scope.table>[0]) => scope.table(name);
      for (const sql of [
        `update ${t('trades')} set price = 1`,
        `delete from ${t('trades')}`,
        `update ${t('positions')} set risk_amount = 1`,
        `update ${t('positions')} set breakeven_after_tp = null, time_stop_bars = null`,
        `update ${t('positions')} set opened_at = now()`,
        `delete from ${t('positions')}`,
        `update ${t('proposals')} set qty = 1`,
        `update ${t('state')} set quote_currency = 'EUR'`,
        `update ${t('risk_profiles')} set profile = 'low'`,
        `delete from ${t('wallets')}`,
        `update ${t('orders')} set qty = 1, client_order_id = 'x'`,
        `delete from ${t('orders')}`,
        `update ${t('order_fills')} set qty = 1`,
        `delete from ${t('order_fills')}`,
      ])
        await expect(asScope(sql), sql).rejects.toThrow(/permission denied/);
      // What the code does change stays possible.
      await expect(asScope(`update ${t('state')} set operational_mode = 'semi_auto'`)).resolves.toBeDefined();
      await expect(asScope(`update ${t('positions')} set checked_through = now()`)).resolves.toBeDefined();
      // The exit plan's breakeven rule moves the stop (the old one stays in the STOP_MOVED audit row).
      await expect(asScope(`update ${t('positions')} set stop_price = stop_price`)).resolves.toBeDefined();
      // Partial LIVE entry fills accumulate into the quantity and the average entry price.
      await expect(asScope(`update ${t('positions')} set qty = qty, entry_price = entry_price`)).resolves.toBeDefined();
      await expect(
        asScope(`update ${t('orders')} set state = 'FILLED', filled_qty = qty, updated_at = now()`),
      ).resolves.toBeDefined();
    });
  });

  it('the role that appended each row is part of its hash', async () => {
    const seq = await tradingTx(db, tradingScope('TEST'), (tx) =>
      recordAudit(tx, { mode: 'TEST', actor: 'USER', action_type: 'PROBE', status: 'INFO' }),
    );
    expect((await verifyAuditTrail(db)).ok).toBe(true);
    await tamper(db, `update audit_trail set db_role = 'postgres' where seq = ${seq}`);
    expect((await verifyAuditTrail(db)).problems.map((p) => [p.kind, p.seq])).toEqual([['altered', seq]]);
  });

  it('rows from before db_role existed (null) keep verifying', async () => {
    const seq = await recordAudit(db, { mode: 'SYSTEM', actor: 'SYSTEM', action_type: 'PROBE', status: 'INFO' });
    await tamper(
      db,
      `update audit_trail a set db_role = null where seq = ${seq};
       update audit_trail a set hash = encode(sha256(convert_to(audit_row_text(a), 'UTF8')), 'hex') where seq = ${seq};
       update audit_chain_head set hash = (select hash from audit_trail where seq = ${seq})`,
    );
    expect(await verifyAuditTrail(db)).toMatchObject({ ok: true, problems: [] });
  });
});
