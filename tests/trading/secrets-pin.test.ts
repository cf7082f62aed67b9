import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { queryRows } from '../../store/db.ts';
import { initPin, verifyPin } from '../../trading/secrets/pin.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { rejection } from '../helpers/errors.ts';

const pin = 'correct horse 42';

const Attempts = z.object({
  failed_count: z.coerce.number(),
  locked_until: z.date().nullable(),
  lock_seconds: z.coerce.number().nullable(),
});
const attempts = async (db: TestDb) =>
  (
    await queryRows(
      db,
      Attempts,
      `select failed_count, locked_until, extract(epoch from locked_until - last_failed_at) as lock_seconds from pin_attempts where id = 1`,
    )
  )[0]!;

const AuditRow = z.object({
  mode: z.string(),
  actor: z.string(),
  action_type: z.string(),
  status: z.string(),
  details: z.record(z.string(), z.unknown()),
});
const auditRows = (db: TestDb) =>
  queryRows(db, AuditRow, 'select mode, actor, action_type, status, details from audit_trail order by seq');

/** Moves past the current lock, as if its time had passed. */
const expireLock = (db: TestDb) =>
  db.query(`update pin_attempts set locked_until = now() - interval '1 second' where id = 1`);

describe.each(backends)('master PIN (%s)', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(async () => db?.dispose());

  it('lock durations: two misses are free, the third locks 30 s, each further miss doubles it up to an hour', async () => {
    const misses = [1, 2, 3, 4, 5, 6, 10, 11, 1000, 2 ** 31 - 1];
    const [row] = await db.query<{ seconds: number[] }>(
      'select array(select pin_lock_seconds(n) from unnest($1::int[]) as n) as seconds',
      [misses],
    );
    expect(row!.seconds).toEqual([0, 0, 30, 60, 120, 240, 3600, 3600, 3600, 3600]);
  });

  it('without a PIN, verification says to run secrets init', async () => {
    const e = await rejection(verifyPin(db, pin, 'test'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe('No master PIN is set; run `trader secrets init` first.');
  });

  it('stores only a salted scrypt hash; the right PIN verifies, a wrong one is refused', async () => {
    await initPin(db, pin);
    const [row] = await db.query<{ kdf: string; salt: string; hash: string }>('select kdf, salt, hash from master_pin');
    expect(row!.kdf).toBe('scrypt:N=32768,r=8,p=1');
    expect(Buffer.from(row!.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(row!.hash, 'base64')).toHaveLength(32);
    expect(JSON.stringify(row)).not.toContain(pin);

    await expect(verifyPin(db, pin, 'test')).resolves.toBeUndefined();
    const wrong = await rejection(verifyPin(db, `${pin}x`, 'test'));
    expect(wrong.code).toBe('BAD_INPUT');
    expect(wrong.message).toBe('Wrong PIN.');
    expect(wrong.exitCode).toBe(2);
  });

  it('the same PIN set twice gets different salts and hashes', async () => {
    await initPin(db, pin);
    const other = await freshDb(kind);
    try {
      await initPin(other, pin);
      const [a] = await db.query<{ salt: string; hash: string }>('select salt, hash from master_pin');
      const [b] = await other.query<{ salt: string; hash: string }>('select salt, hash from master_pin');
      expect(a!.salt).not.toBe(b!.salt);
      expect(a!.hash).not.toBe(b!.hash);
    } finally {
      await other.dispose();
    }
  });

  it('refuses PINs shorter than 6 or longer than 128 characters, and a second init', async () => {
    for (const bad of ['12345', 'x'.repeat(129)]) {
      const e = await rejection(initPin(db, bad));
      expect(e.code).toBe('BAD_INPUT');
      expect(e.message).toMatch(/6 to 128 characters/);
    }
    await initPin(db, '123456');
    const again = await rejection(initPin(db, 'another pin'));
    expect(again.code).toBe('CONFIG_INVALID');
    expect(again.message).toMatch(/already set/);
    await expect(verifyPin(db, '123456', 'test')).resolves.toBeUndefined();
    expect((await auditRows(db)).filter((r) => r.action_type === 'MASTER_PIN_SET')).toHaveLength(1);
  });

  it('locks from the third miss in a row, refuses even the right PIN while locked, and escalates', async () => {
    await initPin(db, pin);
    for (const n of [1, 2]) {
      expect((await rejection(verifyPin(db, 'wrong-pin', 'trade'))).message).toBe('Wrong PIN.');
      expect(await attempts(db)).toMatchObject({ failed_count: n, locked_until: null });
    }
    const third = await rejection(verifyPin(db, 'wrong-pin', 'trade'));
    expect(third.code).toBe('BAD_INPUT');
    expect(third.message).toMatch(
      /^Wrong PIN; too many in a row, so try again after \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\.$/,
    );
    expect(await attempts(db)).toMatchObject({ failed_count: 3, lock_seconds: 30 });

    // Locked: the right PIN is refused without being checked, and the count does not move.
    const locked = await rejection(verifyPin(db, pin, 'trade'));
    expect(locked.code).toBe('LOCKED');
    expect(locked.exitCode).toBe(4);
    const until = (await attempts(db)).locked_until!;
    const shown = new Date(Math.ceil(until.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    expect(locked.message).toBe(`Too many wrong PINs; try again after ${shown}.`);
    expect((await attempts(db)).failed_count).toBe(3);

    // Each miss after a lock has passed doubles the lock.
    for (const [n, seconds] of [
      [4, 60],
      [5, 120],
    ] as const) {
      await expireLock(db);
      await rejection(verifyPin(db, 'wrong-pin', 'trade'));
      expect(await attempts(db)).toMatchObject({ failed_count: n, lock_seconds: seconds });
    }

    // Once the lock has passed, the right PIN works and resets the count: the next miss is free again.
    await expireLock(db);
    await expect(verifyPin(db, pin, 'trade')).resolves.toBeUndefined();
    expect(await attempts(db)).toMatchObject({ failed_count: 0, locked_until: null });
    expect((await rejection(verifyPin(db, 'wrong-pin', 'trade'))).message).toBe('Wrong PIN.');
    expect(await attempts(db)).toMatchObject({ failed_count: 1, locked_until: null });
  });

  it('caps the lock at one hour', async () => {
    await initPin(db, pin);
    await db.query('update pin_attempts set failed_count = 40 where id = 1');
    await rejection(verifyPin(db, 'wrong-pin', 'trade'));
    expect(await attempts(db)).toMatchObject({ failed_count: 41, lock_seconds: 3600 });
  });

  it('audits every attempt as the user, with its purpose, and never the PIN', async () => {
    await initPin(db, pin);
    await verifyPin(db, pin, 'approve proposal');
    for (let i = 0; i < 3; i++) await rejection(verifyPin(db, 'wrong-pin', 'clear halt'));
    await rejection(verifyPin(db, pin, 'clear halt'));

    const rows = await auditRows(db);
    // Each attempt is audited PENDING when it is counted, then with its outcome; a locked attempt at once.
    const check = expect.any(Number);
    const pending = (purpose: string) => ['PIN_VERIFY', 'PENDING', { purpose, check }];
    expect(rows.map((r) => [r.action_type, r.status, r.details])).toEqual([
      ['MASTER_PIN_SET', 'SUCCESS', { kdf: 'scrypt:N=32768,r=8,p=1' }],
      pending('approve proposal'),
      ['PIN_VERIFY', 'SUCCESS', { purpose: 'approve proposal', check }],
      pending('clear halt'),
      ['PIN_VERIFY', 'FAILURE', { purpose: 'clear halt', check, failed_count: 1 }],
      pending('clear halt'),
      ['PIN_VERIFY', 'FAILURE', { purpose: 'clear halt', check, failed_count: 2 }],
      pending('clear halt'),
      ['PIN_VERIFY', 'FAILURE', { purpose: 'clear halt', check, failed_count: 3, locked_until: expect.any(String) }],
      ['PIN_VERIFY', 'FAILURE', { purpose: 'clear halt', reason: 'locked' }],
    ]);
    for (const r of rows) expect([r.mode, r.actor]).toEqual(['SYSTEM', 'USER']);
    const text = JSON.stringify(await db.query('select * from audit_trail'));
    expect(text).not.toContain(pin);
    expect(text).not.toContain('wrong-pin');
  });

  it('counts concurrent wrong guesses one by one', async () => {
    await initPin(db, pin);
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => verifyPin(db, 'wrong-pin', 'race')));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const codes = results.map((r) => ((r as PromiseRejectedResult).reason as TraderError).code).sort();
    // Three misses are counted before the lock; the fourth finds it locked, whatever the order of arrival.
    expect(codes).toEqual(['BAD_INPUT', 'BAD_INPUT', 'BAD_INPUT', 'LOCKED']);
    expect((await attempts(db)).failed_count).toBe(3);
  });
});
