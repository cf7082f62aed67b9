import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { verifyPin } from './pin.ts';
import { currentParams, deriveKey, formatKdf, newSalt, parseKdf } from './scrypt-kdf.ts';
import { quote } from '../../core/quote.ts';

/**
 * Exchange API keys, encrypted with AES-256-GCM under a key derived from the master PIN
 * (a fresh salt per key), and decrypted only when a caller needs them. The name and
 * exchange are authenticated with the ciphertext, so a row edited to point the key at
 * another name or exchange no longer decrypts. Key material never reaches a log, an
 * error message or the audit trail.
 */

export const ApiKeyName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/)
  .max(64);
export const ExchangeId = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/)
  .max(40);

export const NewApiKey = z.object({
  name: ApiKeyName,
  exchange: ExchangeId,
  apiKey: z.string().trim().min(1),
  secret: z.string().trim().min(1),
});
export type NewApiKey = z.input<typeof NewApiKey>;

export const ApiKeyListing = z.object({ name: z.string(), exchange: z.string(), created_at: z.date() });
export type ApiKeyListing = z.infer<typeof ApiKeyListing>;

export interface ApiCredentials {
  exchange: string;
  apiKey: string;
  secret: string;
}

const StoredKey = ApiKeyListing.extend({
  kdf: z.string(),
  salt: z.string(),
  iv: z.string(),
  ciphertext: z.string(),
  auth_tag: z.string(),
});
type StoredKey = z.infer<typeof StoredKey>;
const Plaintext = z.object({ apiKey: z.string(), secret: z.string() });

const cipher = 'aes-256-gcm';
const ivLength = 12;

function associatedData(name: string, exchange: string): Buffer {
  return Buffer.from(`trader-api-key:v1\u001f${name}\u001f${exchange}`, 'utf8');
}

function checkName(name: string): string {
  if (!ApiKeyName.safeParse(name).success) {
    throw new TraderError(
      'BAD_INPUT',
      `${quote(name)} is not an API key name: use lower-case letters, digits, '-' and '_' (up to 64, starting with a letter or digit).`,
    );
  }
  return name;
}

export function checkExchange(exchange: string): string {
  if (!ExchangeId.safeParse(exchange).success)
    throw new TraderError('BAD_INPUT', `${quote(exchange)} is not an exchange id: use a ccxt id such as binance.`);
  return exchange;
}

function parseNewKey(input: NewApiKey): z.infer<typeof NewApiKey> {
  const parsed = NewApiKey.safeParse(input);
  if (parsed.success) return parsed.data;
  checkName(input.name);
  checkExchange(input.exchange);
  // Only the API key or secret is left, and neither may be echoed back.
  throw new TraderError('BAD_INPUT', 'The API key and API secret must not be empty; enter both.');
}

/** A key's listing row, or undefined (lets the CLI refuse before asking for any secret). */
export async function findApiKey(q: Queryable, name: string): Promise<ApiKeyListing | undefined> {
  return (
    await queryRows(q, ApiKeyListing, 'select name, exchange, created_at from api_keys where name = $1', [
      checkName(name),
    ])
  )[0];
}

export function alreadyExists(name: string): TraderError {
  return new TraderError(
    'CONFIG_INVALID',
    `An API key named ${quote(name)} already exists; remove it first with \`trader secrets remove ${name}\`.`,
  );
}

export function notFound(name: string): TraderError {
  return new TraderError('NOT_FOUND', `No API key named ${quote(name)}; see \`trader secrets list\`.`);
}

/** A key encrypted under the PIN, ready to insert; holds no plaintext. */
export interface SealedApiKey {
  name: string;
  exchange: string;
  columns: [kdf: string, salt: string, iv: string, ciphertext: string, auth_tag: string];
}

/** Encrypts a key under a key derived from `pin` with a fresh salt; the caller has verified the PIN. */
export async function sealApiKey(pin: string, input: NewApiKey): Promise<SealedApiKey> {
  const key = parseNewKey(input);
  const salt = newSalt();
  const iv = randomBytes(ivLength);
  const aes = createCipheriv(cipher, await deriveKey(pin, salt, currentParams), iv);
  aes.setAAD(associatedData(key.name, key.exchange));
  const ciphertext = Buffer.concat([
    aes.update(JSON.stringify({ apiKey: key.apiKey, secret: key.secret }), 'utf8'),
    aes.final(),
  ]);
  return {
    name: key.name,
    exchange: key.exchange,
    columns: [
      formatKdf(currentParams),
      salt.toString('base64'),
      iv.toString('base64'),
      ciphertext.toString('base64'),
      aes.getAuthTag().toString('base64'),
    ],
  };
}

/** Inserts a sealed key and its audit row in the caller's transaction; a taken name is refused. */
export async function insertSealedKey(tx: Queryable, sealed: SealedApiKey): Promise<ApiKeyListing> {
  const [row] = await queryRows(
    tx,
    ApiKeyListing,
    `insert into api_keys (name, exchange, kdf, salt, iv, ciphertext, auth_tag) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (name) do nothing returning name, exchange, created_at`,
    [sealed.name, sealed.exchange, ...sealed.columns],
  );
  if (!row) throw alreadyExists(sealed.name);
  await recordAudit(tx, {
    mode: 'SYSTEM',
    actor: 'USER',
    action_type: 'API_KEY_ADDED',
    status: 'SUCCESS',
    details: { name: sealed.name, exchange: sealed.exchange },
    entity_type: 'api_key',
    entity_id: sealed.name,
  });
  return row;
}

/** Verifies the PIN, then stores the key encrypted under it. */
export async function addApiKey(db: Db, pin: string, input: NewApiKey): Promise<ApiKeyListing> {
  const key = parseNewKey(input);
  await verifyPin(db, pin, `add API key ${key.name}`);
  const sealed = await sealApiKey(pin, key);
  return db.transaction((tx) => insertSealedKey(tx, sealed));
}

/**
 * What opens one stored key: the master PIN, or the AES key derived from it for that row
 * (what an unattended key file holds, so that the file never reveals the PIN itself).
 */
export type VaultUnlock = { pin: string } | { derivedKey: Buffer };

async function readStoredKey(q: Queryable, name: string): Promise<StoredKey> {
  const [row] = await queryRows(
    q,
    StoredKey,
    'select name, exchange, created_at, kdf, salt, iv, ciphertext, auth_tag from api_keys where name = $1',
    [checkName(name)],
  );
  if (!row) throw notFound(name);
  return row;
}

/** The row's AES key derived from `pin`, or undefined when the row's key derivation was altered. */
async function rowKey(row: StoredKey, pin: string): Promise<Buffer | undefined> {
  const params = parseKdf(row.kdf);
  return params ? deriveKey(pin, Buffer.from(row.salt, 'base64'), params) : undefined;
}

/** The plaintext, or undefined when the key is wrong or the row was altered (GCM cannot tell which). */
function decrypt(row: StoredKey, key: Buffer): z.infer<typeof Plaintext> | undefined {
  try {
    const aes = createDecipheriv(cipher, key, Buffer.from(row.iv, 'base64'));
    aes.setAAD(associatedData(row.name, row.exchange));
    aes.setAuthTag(Buffer.from(row.auth_tag, 'base64'));
    const text = Buffer.concat([aes.update(Buffer.from(row.ciphertext, 'base64')), aes.final()]).toString('utf8');
    return Plaintext.parse(JSON.parse(text));
  } catch {
    // Deliberately swallowed: the error of a failed decryption must not carry anything of the key.
    return undefined;
  }
}

/** The AES key of one stored key, derived from the (verified) PIN: what an unattended key file keeps. */
export async function derivedKeyOf(q: Queryable, pin: string, name: string): Promise<Buffer> {
  const key = await rowKey(await readStoredKey(q, name), pin);
  if (!key) throw doesNotDecrypt(name, 'PIN');
  return key;
}

/** `keyFileCommand`: what writes the key file that failed, the fix the message names. */
function doesNotDecrypt(name: string, how: 'PIN' | { keyFileCommand: string }): TraderError {
  return new TraderError(
    'CONFIG_INVALID',
    how === 'PIN'
      ? `API key ${quote(name)} does not decrypt with this PIN (a wrong PIN or an altered row); if the PIN is right, remove the key and add it again.`
      : `API key ${quote(name)} does not decrypt with the key file (the key was replaced or the file altered); write a new one with \`${how.keyFileCommand}\`.`,
  );
}

/**
 * Decrypts one key just in time. With a PIN the caller has verified it (requirePin); a
 * wrong one fails here as well, since it derives the wrong key. Both outcomes are audited,
 * with how the key was opened (`via`). A derived key comes from an unattended key file:
 * `keyFileCommand` is the command that writes that file (the LIVE account's by default).
 */
export async function loadApiKey(
  db: Queryable,
  unlock: VaultUnlock | string,
  name: string,
  audit: { via: string; keyFileCommand?: string } = { via: 'pin' },
): Promise<ApiCredentials> {
  const how: VaultUnlock = typeof unlock === 'string' ? { pin: unlock } : unlock;
  const row = await readStoredKey(db, name);
  const key = 'pin' in how ? await rowKey(row, how.pin) : how.derivedKey;
  const plain = key ? decrypt(row, key) : undefined;
  await recordAudit(db, {
    mode: 'SYSTEM',
    actor: 'pin' in how ? 'USER' : 'SYSTEM',
    action_type: 'API_KEY_DECRYPTED',
    status: plain ? 'SUCCESS' : 'FAILURE',
    details: { name, exchange: row.exchange, via: audit.via, ...(plain ? {} : { reason: 'decryption_failed' }) },
    entity_type: 'api_key',
    entity_id: name,
  });
  if (!plain)
    throw doesNotDecrypt(
      name,
      'pin' in how ? 'PIN' : { keyFileCommand: audit.keyFileCommand ?? 'trader live key-file' },
    );
  return { exchange: row.exchange, ...plain };
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyListing[]> {
  return queryRows(db, ApiKeyListing, 'select name, exchange, created_at from api_keys order by name');
}

/** Deletes a key and writes its audit row in the caller's transaction; an unknown name is refused. */
export async function deleteApiKey(tx: Queryable, name: string): Promise<ApiKeyListing> {
  const [row] = await queryRows(
    tx,
    ApiKeyListing,
    'delete from api_keys where name = $1 returning name, exchange, created_at',
    [checkName(name)],
  );
  if (!row) throw notFound(name);
  await recordAudit(tx, {
    mode: 'SYSTEM',
    actor: 'USER',
    action_type: 'API_KEY_REMOVED',
    status: 'SUCCESS',
    details: { name, exchange: row.exchange },
    entity_type: 'api_key',
    entity_id: name,
  });
  return row;
}

export async function removeApiKey(db: Db, name: string): Promise<ApiKeyListing> {
  return db.transaction((tx) => deleteApiKey(tx, name));
}
