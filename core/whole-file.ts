import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streams into a file that appears under its name only when complete: backups and exports
 * are written beside it as `<file>.partial` and renamed at the end, so a crash, a full
 * disk or an error mid-way never leaves a cut file that looks whole. Private (0600): both
 * hold the user's trading history.
 */

export interface Written {
  /** sha256 of the bytes as written. */
  sha256: string;
  bytes: number;
}

type Source = AsyncIterable<string | Buffer>;

/** Pipes `source` through `stages` into `sink`, counting and hashing what reaches it. */
export async function pipeCounted(source: Source, stages: Transform[], sink: Writable): Promise<Written> {
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline([Readable.from(source), ...stages, counter, sink]);
  return { sha256: hash.digest('hex'), bytes };
}

export async function writeWholeFile(file: string, source: Source, stages: Transform[] = []): Promise<Written> {
  const partial = `${file}.partial`;
  try {
    const written = await pipeCounted(source, stages, fs.createWriteStream(partial, { mode: 0o600 }));
    fs.renameSync(partial, file);
    return written;
  } catch (e) {
    fs.rmSync(partial, { force: true });
    throw e;
  }
}
