import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { verifyPin } from './pin.ts';
import { currentParams, deriveKey, formatKdf, newSalt, parseKdf } from './scrypt-kdf.ts';

/**
 * Exchange API keys, encrypted with AES-256-GCM under a key derived from the master PIN
 * (a fresh salt per key), and decrypted only when a caller needs them. The name and
 * exchange are authenticated with the ciphertext, so a row edited to point the key at
 * another name or exchange no longer decrypts. Key material never reaches a log, an
 * error message or the audit trail.
 */

export const ApiKeyName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).max(64);
export const ExchangeId = z.string().regex(/^[a-z][a-z0-9_]*$/).max(40);

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

const StoredKey = ApiKeyListing.extend({ kdf: z.string(), salt: z.string(), iv: z.string(), ciphertext: z.string(), auth_tag: z.string() });
type StoredKey = z.infer<typeof StoredKey>;
const Plaintext = z.object({ apiKey: z.string(), secret: z.string() });

const cipher = 'aes-256-gcm';
const ivLength = 12;

function associatedData(name: string, exchange: string): Buffer {
  return Buffer.from(`trader-api-key:v1\u001f${name}\u001f${exchange}`, 'utf8');
}

function checkName(name: string): string {
  if (!ApiKeyName.safeParse(name).success) {
    throw new TraderError('BAD_INPUT', `'${name}' is not an API key name: use lower-case letters, digits, '-' and '_' (up to 64, starting with a letter or digit).`);
  }
  return name;
}

export function checkExchange(exchange: string): string {
  if (!ExchangeId.safeParse(exchange).success) throw new TraderError('BAD_INPUT', `'${exchange}' is not an exchange id: use a ccxt id such as binance.`);
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
  return (await queryRows(q, ApiKeyListing, 'select name, exchange, created_at from api_keys where name = $1', [checkName(name)]))[0];
}

export function alreadyExists(name: string): TraderError {
  return new TraderError('CONFIG_INVALID', `An API key named '${name}' already exists; remove it first with \`trader secrets remove ${name}\`.`);
}

export function notFound(name: string): TraderError {
  return new TraderError('NOT_FOUND', `No API key named '${name}'; see \`trader secrets list\`.`);
}

/** Verifies the PIN, then stores the key encrypted under it. */
export async function addApiKey(db: Db, pin: string, input: NewApiKey): Promise<ApiKeyListing> {
  const key = parseNewKey(input);
  await verifyPin(db, pin, `add API key ${key.name}`);
  const salt = newSalt();
  const iv = randomBytes(ivLength);
  const aes = createCipheriv(cipher, await deriveKey(pin, salt, currentParams), iv);
  aes.setAAD(associatedData(key.name, key.exchange));
  const ciphertext = Buffer.concat([aes.update(JSON.stringify({ apiKey: key.apiKey, secret: key.secret }), 'utf8'), aes.final()]);
  return db.transaction(async (tx) => {
    const [row] = await queryRows(
      tx,
      ApiKeyListing,
      `insert into api_keys (name, exchange, kdf, salt, iv, ciphertext, auth_tag) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (name) do nothing returning name, exchange, created_at`,
      [key.name, key.exchange, formatKdf(currentParams), salt.toString('base64'), iv.toString('base64'), ciphertext.toString('base64'), aes.getAuthTag().toString('base64')],
    );
    if (!row) throw alreadyExists(key.name);
    await recordAudit(tx, { mode: 'SYSTEM', actor: 'USER', action_type: 'API_KEY_ADDED', status: 'SUCCESS', details: { name: key.name, exchange: key.exchange }, entity_type: 'api_key', entity_id: key.name });
    return row;
  });
}

/** The plaintext, or undefined when the PIN is wrong or the row was altered (GCM cannot tell which). */
async function decrypt(row: StoredKey, pin: string): Promise<z.infer<typeof Plaintext> | undefined> {
  const params = parseKdf(row.kdf);
  if (!params) return undefined;
  try {
    const key = await deriveKey(pin, Buffer.from(row.salt, 'base64'), params);
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

/**
 * Decrypts one key just in time. The caller has verified `pin` (requirePin); a wrong
 * one fails here as well, since it derives the wrong key. Both outcomes are audited.
 */
export async function loadApiKey(db: Db, pin: string, name: string): Promise<ApiCredentials> {
  const [row] = await queryRows(db, StoredKey, 'select name, exchange, created_at, kdf, salt, iv, ciphertext, auth_tag from api_keys where name = $1', [checkName(name)]);
  if (!row) throw notFound(name);
  const plain = await decrypt(row, pin);
  await recordAudit(db, {
    mode: 'SYSTEM',
    actor: 'USER',
    action_type: 'API_KEY_DECRYPTED',
    status: plain ? 'SUCCESS' : 'FAILURE',
    details: { name, exchange: row.exchange, ...(plain ? {} : { reason: 'decryption_failed' }) },
    entity_type: 'api_key',
    entity_id: name,
  });
  if (!plain) {
    throw new TraderError('CONFIG_INVALID', `API key '${name}' does not decrypt with this PIN (a wrong PIN or an altered row); if the PIN is right, remove the key and add it again.`);
  }
  return { exchange: row.exchange, ...plain };
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyListing[]> {
  return queryRows(db, ApiKeyListing, 'select name, exchange, created_at from api_keys order by name');
}

export async function removeApiKey(db: Db, name: string): Promise<ApiKeyListing> {
  checkName(name);
  return db.transaction(async (tx) => {
    const [row] = await queryRows(tx, ApiKeyListing, 'delete from api_keys where name = $1 returning name, exchange, created_at', [name]);
    if (!row) throw notFound(name);
    await recordAudit(tx, { mode: 'SYSTEM', actor: 'USER', action_type: 'API_KEY_REMOVED', status: 'SUCCESS', details: { name, exchange: row.exchange }, entity_type: 'api_key', entity_id: name });
    return row;
  });
}
