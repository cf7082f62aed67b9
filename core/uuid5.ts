import { createHash } from 'node:crypto';

/** The RFC 4122 URL namespace: any fixed namespace works, this one is well known. */
const namespace = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/**
 * A name-based (version 5) UUID: the same name always gives the same id. Job ids made this
 * way let the queue drop a second enqueue of the same work (its insert is ON CONFLICT DO
 * NOTHING on the id), e.g. two schedulers enqueueing one tick.
 */
export function uuid5(name: string): string {
  const bytes = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
