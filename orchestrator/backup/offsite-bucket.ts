import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createClient, type SupabaseClientOptions } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import { isDuplicate, isMissingObject, storageFailure } from './offsite-failure.ts';
import type { OffsiteTarget } from './offsite-settings.ts';

/**
 * The objects in the offsite folder, through supabase-js's Storage client: list, upload
 * (never over an existing object), download as a stream (hashed on the way, never held in
 * memory whole) and remove. Names are file names in the folder; every failure becomes one
 * sentence (offsite-failure.ts).
 */

export interface StoredObject {
  name: string;
  bytes: number;
}

export interface Fetched {
  sha256: string;
  bytes: number;
}

export interface OffsiteBucket {
  list(): Promise<StoredObject[]>;
  /** Uploads a local file; `exists` when an object of that name is there already (it is left as it is). */
  put(name: string, file: string, type: string): Promise<'stored' | 'exists'>;
  /** Streams an object into `file` (or, without one, only hashes it). */
  get(name: string, file?: string): Promise<Fetched>;
  remove(names: string[]): Promise<void>;
}

/**
 * Realtime is never used, but supabase-js builds its client, which on Node 20 needs a
 * WebSocket class: `ws`, as realtime-js documents. Its constructor overloads (one takes
 * `null`) do not match realtime-js's declared type, hence the cast.
 */
type Transport = NonNullable<NonNullable<SupabaseClientOptions<'public'>['realtime']>['transport']>;
const transport = WebSocket as unknown as Transport;

/** One page of a listing; the folder is read page by page, so a long history is listed whole. */
const pageSize = 1000;

export function openBucket(target: OffsiteTarget): OffsiteBucket {
  const client = createClient(target.url, target.serviceKey, {
    // A server-side client: no session to keep or refresh.
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport },
  });
  const api = client.storage.from(target.bucket);
  const pathOf = (name: string) => (target.prefix ? `${target.prefix}/${name}` : name);
  const fail = (e: Parameters<typeof storageFailure>[0], doing: string) => storageFailure(e, target, doing);

  return {
    async list() {
      const objects: StoredObject[] = [];
      for (let offset = 0; ; offset += pageSize) {
        const { data, error } = await api.list(target.prefix, {
          limit: pageSize,
          offset,
          sortBy: { column: 'name', order: 'asc' },
        });
        if (error) throw fail(error, 'listing the folder');
        // Folders have no id and no metadata; only objects count.
        for (const f of data) if (f.id !== null && f.metadata) objects.push({ name: f.name, bytes: f.metadata.size });
        if (data.length < pageSize) return objects;
      }
    },

    async put(name, file, type) {
      const body = await fs.openAsBlob(file, { type });
      const { error } = await api.upload(pathOf(name), body, { upsert: false });
      if (!error) return 'stored';
      if (isDuplicate(error)) return 'exists';
      throw fail(error, `uploading ${name}`);
    },

    async get(name, file) {
      const { data, error } = await api.download(pathOf(name)).asStream();
      if (error && isMissingObject(error))
        throw new TraderError(
          'NOT_FOUND',
          `There is no offsite object ${quote(name)} in bucket ${quote(target.bucket)}; see \`trader backup offsite list\`.`,
        );
      if (error) throw fail(error, `downloading ${name}`);
      const hash = createHash('sha256');
      let bytes = 0;
      const sink = file
        ? fs.createWriteStream(file, { mode: 0o600 })
        : new Writable({ write: (_c, _e, done) => done() });
      try {
        await pipeline(
          Readable.fromWeb(data as WebReadableStream<Uint8Array>),
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              hash.update(chunk);
              bytes += chunk.length;
              yield chunk;
            }
          },
          sink,
        );
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // A local file error names its path; anything else is the connection breaking off.
        throw err.path
          ? new TraderError(
              'BAD_INPUT',
              `${err.path} could not be written (${err.code ?? 'error'}); choose another folder.`,
            )
          : new TraderError(
              'TRANSIENT',
              `The download of ${name} from Supabase Storage at ${target.url} broke off (${err.code ?? 'error'}); try again.`,
            );
      }
      return { sha256: hash.digest('hex'), bytes };
    },

    async remove(names) {
      if (names.length === 0) return;
      const { error } = await api.remove(names.map(pathOf));
      if (error) throw fail(error, `removing ${names.length} old objects`);
    },
  };
}
