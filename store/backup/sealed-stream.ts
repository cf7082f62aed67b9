import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TraderError } from '../../core/errors.ts';

/**
 * The encryption of a backup file: AES-256-GCM in chunks, with a key derived from the
 * backup passphrase by scrypt. A whole-file GCM tag could only be checked after reading
 * everything, so the stream is cut into chunks of CHUNK bytes, each sealed on its own
 * (nonce: a random prefix and the chunk's number; additional data: the header's hash, the
 * number and whether it is the last). Reordered, dropped or altered chunks fail their tag,
 * and a file cut short lacks its last chunk: each is refused. The header is plain, so a
 * wrong format version or passphrase is told before any data is read:
 *
 *   "TRDRBAK\n" | u32 header length | header JSON | chunks: u8 last | u32 length | sealed bytes
 */

export const MAGIC = Buffer.from('TRDRBAK\n');
export const FORMAT = 1;
const CHUNK = 1 << 20;
const TAG = 16;
const KEY_CHECK = 'trader backup key check';

export interface SealHeader {
  format: number;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  nonce_prefix: string;
  key_check: string;
}

/** scrypt at N = 2^15: ~100 ms and 32 MiB per derivation, so guessing passphrases is slow. */
const KDF = { N: 1 << 15, r: 8, p: 1 };

function deriveKey(passphrase: string, kdf: SealHeader['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r,
  });
}

const keyCheck = (key: Buffer) =>
  createHmac('sha256', key).update(KEY_CHECK).digest().subarray(0, 16).toString('base64');

function nonceOf(prefix: Buffer, n: number): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0, 0, 8);
  nonce.writeUInt32BE(n, 8);
  return nonce;
}

const aadOf = (headerHash: Buffer, n: number, last: boolean) => {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(n, 0);
  tail[4] = last ? 1 : 0;
  return Buffer.concat([headerHash, tail]);
};

function sealChunk(key: Buffer, prefix: Buffer, headerHash: Buffer, n: number, last: boolean, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceOf(prefix, n));
  cipher.setAAD(aadOf(headerHash, n, last));
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  const frame = Buffer.alloc(5);
  frame[0] = last ? 1 : 0;
  frame.writeUInt32BE(body.length, 1);
  return Buffer.concat([frame, body]);
}

/** A Transform that writes the header, then seals what passes through in chunks. */
export function sealStream(passphrase: string): Transform {
  const kdf = { name: 'scrypt' as const, ...KDF, salt: randomBytes(16).toString('base64') };
  const key = deriveKey(passphrase, kdf);
  const prefix = randomBytes(8);
  const header: SealHeader = { format: FORMAT, kdf, nonce_prefix: prefix.toString('base64'), key_check: keyCheck(key) };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const headerHash = createHash('sha256').update(headerBytes).digest();
  let pending: Buffer[] = [];
  let size = 0;
  let n = 0;
  let started = false;
  const start = (t: Transform) => {
    if (started) return;
    started = true;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(headerBytes.length);
    t.push(Buffer.concat([MAGIC, len, headerBytes]));
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      start(this);
      pending.push(chunk);
      size += chunk.length;
      while (size > CHUNK) {
        const all = Buffer.concat(pending);
        this.push(sealChunk(key, prefix, headerHash, n++, false, all.subarray(0, CHUNK)));
        pending = [all.subarray(CHUNK)];
        size = all.length - CHUNK;
      }
      done();
    },
    flush(done: TransformCallback) {
      start(this);
      this.push(sealChunk(key, prefix, headerHash, n, true, Buffer.concat(pending)));
      done();
    },
  });
}

const damaged = (what: string) =>
  new TraderError('INTEGRITY', `The backup file is damaged (${what}); nothing was restored. Use another copy.`);

/** Reads and checks the plain header: the format and the passphrase, before any data. */
export function openHeader(head: Buffer, passphrase: string): { key: Buffer; header: SealHeader; bodyAt: number } {
  if (head.length < MAGIC.length + 4 || !head.subarray(0, MAGIC.length).equals(MAGIC))
    throw new TraderError('BAD_INPUT', 'This is not a trader backup file (it does not start like one).');
  const len = head.readUInt32BE(MAGIC.length);
  if (len > 64 * 1024 || head.length < MAGIC.length + 4 + len) throw damaged('its header is cut short');
  let header: SealHeader;
  try {
    header = JSON.parse(head.subarray(MAGIC.length + 4, MAGIC.length + 4 + len).toString('utf8')) as SealHeader;
  } catch {
    throw damaged('its header is not readable');
  }
  if (header.format !== FORMAT)
    throw new TraderError(
      'BAD_INPUT',
      `This backup has format ${String(header.format)}, and this trader reads format ${FORMAT}; restore it with the trader version that wrote it.`,
    );
  const key = deriveKey(passphrase, header.kdf);
  if (keyCheck(key) !== header.key_check)
    throw new TraderError('BAD_INPUT', 'The passphrase does not open this backup; nothing was restored.');
  return { key, header, bodyAt: MAGIC.length + 4 + len };
}

/** The header's bytes as sealed into every chunk's additional data. */
const headerHashOf = (head: Buffer) =>
  createHash('sha256')
    .update(head.subarray(MAGIC.length + 4, MAGIC.length + 4 + head.readUInt32BE(MAGIC.length)))
    .digest();

/**
 * A Transform from a whole backup file's bytes to what was sealed. `passphrase` is checked
 * with the header (openHeader); a chunk that fails its tag, or a file without its last
 * chunk or with bytes after it, is an INTEGRITY error.
 */
export function openStream(passphrase: string): Transform {
  let buf: Buffer = Buffer.alloc(0);
  let opened: { key: Buffer; prefix: Buffer; headerHash: Buffer } | null = null;
  let n = 0;
  let ended = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        if (!opened) {
          if (buf.length < MAGIC.length + 4) return done();
          const len = buf.subarray(0, MAGIC.length).equals(MAGIC) ? buf.readUInt32BE(MAGIC.length) : 0;
          if (buf.length < MAGIC.length + 4 + len) return done();
          const { key, header, bodyAt } = openHeader(buf, passphrase);
          opened = { key, prefix: Buffer.from(header.nonce_prefix, 'base64'), headerHash: headerHashOf(buf) };
          buf = buf.subarray(bodyAt);
        }
        while (buf.length >= 5) {
          if (ended) throw damaged('it goes on after its last part');
          const last = buf[0] === 1;
          const len = buf.readUInt32BE(1);
          if (len < TAG || len > CHUNK + TAG) throw damaged('a part has an impossible length');
          if (buf.length < 5 + len) break;
          const body = buf.subarray(5, 5 + len);
          const decipher = createDecipheriv('aes-256-gcm', opened.key, nonceOf(opened.prefix, n));
          decipher.setAAD(aadOf(opened.headerHash, n, last));
          decipher.setAuthTag(body.subarray(len - TAG));
          let plain: Buffer;
          try {
            plain = Buffer.concat([decipher.update(body.subarray(0, len - TAG)), decipher.final()]);
          } catch {
            throw damaged(`part ${n + 1} does not match its seal`);
          }
          this.push(plain);
          n++;
          ended = last;
          buf = buf.subarray(5 + len);
        }
        done();
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!opened) {
        try {
          openHeader(buf, passphrase);
        } catch (e) {
          return done(e as Error);
        }
        return done(damaged('it ends inside its header'));
      }
      if (!ended || buf.length > 0) return done(damaged('it is cut short'));
      done();
    },
  });
}
