import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { prompter } from '../../core/prompt.ts';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { currentParams, deriveKey, formatKdf, newSalt, parseKdf } from './scrypt-kdf.ts';
import { quote } from '../../core/quote.ts';

/**
 * The master PIN: stored only as a salted scrypt hash, and throttled: from the third
 * wrong PIN in a row, PIN entry locks for 30 s, doubling with each further miss up to an
 * hour. Every attempt is audited (actor USER, mode SYSTEM: secrets belong to no trading mode).
 *
 * The mode roles can neither read the hash nor touch the counter (migration
 * 20261203110000_least_privilege.sql): this process derives a candidate from the PIN with
 * the stored salt, and database functions count it, throttle (pin_lock_seconds), compare
 * and audit, in two transactions so that no rollback can take an attempt back.
 */

const minLength = 6;
const maxLength = 128;

const PinParams = z.object({ kdf: z.string(), salt: z.string() });
const Submitted = z.object({ check_id: z.number().int().nullable(), locked_until: z.date().nullable() });
const Outcome = z.object({ outcome: z.enum(['ok', 'wrong']), locked_until: z.date().nullable() });

function checkPinRules(pin: string): void {
  const length = [...pin].length;
  if (length < minLength || length > maxLength) {
    throw new TraderError(
      'BAD_INPUT',
      `The master PIN must be ${minLength} to ${maxLength} characters long; choose another.`,
    );
  }
}

/** A lock's end as a UTC time to the second, rounded up so "try again after" is never too early. */
function utcSecond(t: Date): string {
  return new Date(Math.ceil(t.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

async function readPinParams(q: Queryable): Promise<z.infer<typeof PinParams> | undefined> {
  return (await queryRows(q, PinParams, 'select kdf, salt from master_pin_params()'))[0];
}

export async function hasMasterPin(q: Queryable): Promise<boolean> {
  return (await readPinParams(q)) !== undefined;
}

function noPin(): TraderError {
  return new TraderError('CONFIG_INVALID', 'No master PIN is set; run `trader secrets init` first.');
}

export function pinAlreadySet(): TraderError {
  return new TraderError(
    'CONFIG_INVALID',
    'A master PIN is already set; keep using it (`trader secrets init` only sets the first one).',
  );
}

/** Lets a command refuse before it asks for any secret. */
export async function assertPinSet(q: Queryable): Promise<void> {
  if (!(await hasMasterPin(q))) throw noPin();
}

/** The PIN's scrypt hash under the stored salt and parameters, base64, as master_pin holds it when the PIN is right. */
async function candidateHash(pin: string, stored: z.infer<typeof PinParams>): Promise<string> {
  const params = parseKdf(stored.kdf);
  if (!params)
    throw new TraderError(
      'CONFIG_INVALID',
      `The stored master PIN uses an unknown key derivation ${quote(stored.kdf)}; the master_pin row was altered.`,
    );
  return (await deriveKey(pin, Buffer.from(stored.salt, 'base64'), params)).toString('base64');
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
    await recordAudit(tx, {
      mode: 'SYSTEM',
      actor: 'USER',
      action_type: 'MASTER_PIN_SET',
      status: 'SUCCESS',
      details: { kdf },
    });
  });
}

/**
 * Checks `pin` against the master PIN. `purpose` (what the PIN unlocks) goes into the
 * audit rows. Two statements, each its own transaction, never inside one: the database
 * answers only about an attempt whose count is already committed (master_pin_outcome).
 */
export async function verifyPin(db: Db, pin: string, purpose: string): Promise<void> {
  const stored = await readPinParams(db);
  if (!stored) throw noPin();
  const candidate = await candidateHash(pin, stored);
  const [submitted] = await queryRows(
    db,
    Submitted,
    'select check_id, locked_until from master_pin_submit($1::text, $2::text)',
    [candidate, purpose],
  );
  if (submitted!.locked_until)
    throw new TraderError('LOCKED', `Too many wrong PINs; try again after ${utcSecond(submitted!.locked_until)}.`);
  if (submitted!.check_id === null) throw noPin();
  const [outcome] = await queryRows(db, Outcome, 'select outcome, locked_until from master_pin_outcome($1::bigint)', [
    submitted!.check_id,
  ]);
  if (outcome!.outcome === 'ok') return;
  throw new TraderError(
    'BAD_INPUT',
    outcome!.locked_until
      ? `Wrong PIN; too many in a row, so try again after ${utcSecond(outcome!.locked_until)}.`
      : 'Wrong PIN.',
  );
}

/** Asks for the master PIN and verifies it; returns it, since callers derive keys from it. */
export async function requirePin(db: Db, purpose: string): Promise<string> {
  await assertPinSet(db);
  const pin = await prompter.secret('Master PIN');
  await verifyPin(db, pin, purpose);
  return pin;
}
