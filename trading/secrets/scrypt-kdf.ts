import { randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { TraderError } from '../../core/errors.ts';

/**
 * The slow key derivation behind the master PIN's hash and every API key's encryption
 * key. The parameters are written next to each hash or ciphertext (the `kdf` column), so
 * raising them later leaves older rows readable with the parameters they were made with.
 */

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** 2^15 x 8 x 128 bytes = 32 MiB and tens of milliseconds per guess. */
export const currentParams: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

export const keyLength = 32;
export const saltLength = 16;

export function formatKdf({ N, r, p }: ScryptParams): string {
  return `scrypt:N=${N},r=${r},p=${p}`;
}

/**
 * Reads the parameters back from a stored `kdf` value. Bounded, because they come from
 * a table: an altered row must not make the process allocate gigabytes.
 */
export function parseKdf(kdf: string): ScryptParams | undefined {
  const m = /^scrypt:N=(\d+),r=(\d+),p=(\d+)$/.exec(kdf);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > 2 ** 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { N, r, p };
}

export function newSalt(): Buffer {
  return randomBytes(saltLength);
}

/** scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) is exactly our need, so leave headroom. */
function options({ N, r, p }: ScryptParams): ScryptOptions {
  return { N, r, p, maxmem: 2 * 128 * N * r };
}

/** NFC first, so a PIN typed with a composed or a decomposed accent derives the same key. */
export function deriveKey(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret.normalize('NFC'), salt, keyLength, options(params), (err, key) =>
      err ? reject(new TraderError('INTERNAL', `Key derivation failed: ${err.message}`)) : resolve(key),
    );
  });
}
