import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { prompter } from '../../core/prompt.ts';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { currentParams, deriveKey, formatKdf, newSalt, parseKdf } from './scrypt-kdf.ts';

/**
 * The master PIN: stored only as a salted scrypt hash, and throttled: from the third
 * wrong PIN in a row, PIN entry locks for 30 s, doubling with each further miss up to an
 * hour. Every attempt is audited (actor USER, mode SYSTEM: secrets belong to no trading mode).
 */

const minLength = 6;
const maxLength = 128;
/** Misses allowed before the first lock. */
const freeFailures = 2;
const baseLockSeconds = 30;
const maxLockSeconds = 3600;

const PinRow = z.object({ kdf: z.string(), salt: z.string(), hash: z.string() });
const AttemptsRow = z.object({ failed_count: z.coerce.number().int(), locked_until: z.date().nullable(), locked: z.boolean() });

type Outcome = { kind: 'ok' } | { kind: 'locked'; until: Date } | { kind: 'wrong'; lockedUntil: Date | null };

function checkPinRules(pin: string): void {
  const length = [...pin].length;
  if (length < minLength || length > maxLength) {
    throw new TraderError('BAD_INPUT', `The master PIN must be ${minLength} to ${maxLength} characters long; choose another.`);
  }
}

/** Seconds PIN entry stays locked after `failures` misses in a row (0: not locked). */
export function lockSeconds(failures: number): number {
  if (failures <= freeFailures) return 0;
  return Math.min(maxLockSeconds, baseLockSeconds * 2 ** (failures - freeFailures - 1));
}

/** A lock's end as a UTC time to the second, rounded up so "try again after" is never too early. */
function utcSecond(t: Date): string {
  return new Date(Math.ceil(t.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

async function readPin(q: Queryable): Promise<z.infer<typeof PinRow> | undefined> {
  return (await queryRows(q, PinRow, 'select kdf, salt, hash from master_pin where id = 1'))[0];
}

export async function hasMasterPin(q: Queryable): Promise<boolean> {
  return (await readPin(q)) !== undefined;
}

function noPin(): TraderError {
  return new TraderError('CONFIG_INVALID', 'No master PIN is set; run `trader secrets init` first.');
}

export function pinAlreadySet(): TraderError {
  return new TraderError('CONFIG_INVALID', 'A master PIN is already set; keep using it (`trader secrets init` only sets the first one).');
}

/** Lets a command refuse before it asks for any secret. */
export async function assertPinSet(q: Queryable): Promise<void> {
  if (!(await hasMasterPin(q))) throw noPin();
}

async function pinMatches(pin: string, stored: z.infer<typeof PinRow>): Promise<boolean> {
  const params = parseKdf(stored.kdf);
  if (!params) throw new TraderError('CONFIG_INVALID', `The stored master PIN uses an unknown key derivation '${stored.kdf}'; the master_pin row was altered.`);
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await deriveKey(pin, Buffer.from(stored.salt, 'base64'), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Sets the first master PIN; an existing PIN is never replaced (API keys are encrypted under it). */
export async function initPin(db: Db, pin: string): Promise<void> {
  checkPinRules(pin);
  const salt = newSalt();
  const hash = await deriveKey(pin, salt, currentParams);
  const kdf = formatKdf(currentParams);
  await db.transaction(async (tx) => {
    const inserted = await tx.query(
      `insert into master_pin (id, kdf, salt, hash) values (1, $1, $2, $3) on conflict (id) do nothing returning id`,
      [kdf, salt.toString('base64'), hash.toString('base64')],
    );
    if (inserted.length === 0) throw pinAlreadySet();
    await tx.query('update pin_attempts set failed_count = 0, locked_until = null where id = 1');
    await recordAudit(tx, { mode: 'SYSTEM', actor: 'USER', action_type: 'MASTER_PIN_SET', status: 'SUCCESS', details: { kdf } });
  });
}

/** The attempt itself, under the pin_attempts row lock so concurrent guesses are counted one by one. */
async function attempt(tx: Queryable, pin: string, purpose: string): Promise<Outcome> {
  const stored = await readPin(tx);
  if (!stored) throw noPin();
  await tx.query('insert into pin_attempts (id) values (1) on conflict (id) do nothing');
  const [row] = await queryRows(
    tx,
    AttemptsRow,
    'select failed_count, locked_until, coalesce(locked_until > now(), false) as locked from pin_attempts where id = 1 for update',
  );
  const audit = (status: 'SUCCESS' | 'FAILURE', details: Record<string, unknown>) =>
    recordAudit(tx, { mode: 'SYSTEM', actor: 'USER', action_type: 'PIN_VERIFY', status, details: { purpose, ...details } });

  // While locked the PIN is not even checked: a lock that still tells right from wrong slows nothing down.
  if (row!.locked) {
    await audit('FAILURE', { reason: 'locked' });
    return { kind: 'locked', until: row!.locked_until! };
  }
  if (await pinMatches(pin, stored)) {
    await tx.query('update pin_attempts set failed_count = 0, locked_until = null where id = 1');
    await audit('SUCCESS', {});
    return { kind: 'ok' };
  }
  const failures = row!.failed_count + 1;
  const seconds = lockSeconds(failures);
  const [updated] = await queryRows(
    tx,
    z.object({ locked_until: z.date().nullable() }),
    `update pin_attempts
        set failed_count = $1, last_failed_at = now(),
            locked_until = case when $2::int > 0 then now() + $2::int * interval '1 second' end
      where id = 1 returning locked_until`,
    [failures, seconds],
  );
  const lockedUntil = updated!.locked_until;
  await audit('FAILURE', { failed_count: failures, ...(lockedUntil ? { locked_until: lockedUntil.toISOString() } : {}) });
  return { kind: 'wrong', lockedUntil };
}

/**
 * Checks `pin` against the master PIN. `purpose` (what the PIN unlocks) goes into the
 * audit row. The bookkeeping of a failed attempt is committed before the error is thrown.
 */
export async function verifyPin(db: Db, pin: string, purpose: string): Promise<void> {
  const outcome = await db.transaction((tx) => attempt(tx, pin, purpose));
  if (outcome.kind === 'locked') throw new TraderError('LOCKED', `Too many wrong PINs; try again after ${utcSecond(outcome.until)}.`);
  if (outcome.kind === 'wrong') {
    throw new TraderError('BAD_INPUT', outcome.lockedUntil ? `Wrong PIN; too many in a row, so try again after ${utcSecond(outcome.lockedUntil)}.` : 'Wrong PIN.');
  }
}

/** Asks for the master PIN and verifies it; returns it, since callers derive keys from it. */
export async function requirePin(db: Db, purpose: string): Promise<string> {
  await assertPinSet(db);
  const pin = await prompter.secret('Master PIN');
  await verifyPin(db, pin, purpose);
  return pin;
}
