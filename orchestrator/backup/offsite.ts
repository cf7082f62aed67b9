import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TraderError, toTraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { type Fetched, openBucket, type OffsiteBucket, type StoredObject } from './offsite-bucket.ts';
import type { OffsiteTarget } from './offsite-settings.ts';
import { backupTimeOfName, planRotation, type Retention } from './rotation.ts';

/**
 * Offsite copies of backups in Supabase Storage: a backup and its manifest uploaded (never
 * over another object: one already there must have the same sha256), their sizes checked
 * against the bucket's listing, then the rotation plan (rotation.ts) applied to the
 * folder. Audited BACKUP_OFFSITE PENDING, then SUCCESS or FAILURE with the reason. A
 * download is checked against the sha256 of its manifest before anyone restores it.
 */

/** What `<file>.manifest.json` says of the file beside it (backup.ts writes it). */
const BackupSidecar = z.object({
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
type BackupSidecar = z.infer<typeof BackupSidecar>;

const manifestName = (name: string) => `${name}.manifest.json`;

export interface UploadedObject {
  name: string;
  bytes: number;
  sha256: string;
  /** It was in the folder already, with the same content, so nothing was sent. */
  already_there: boolean;
}

export interface UploadDone {
  file: string;
  url: string;
  bucket: string;
  prefix: string;
  objects: UploadedObject[];
  /** Backups rotation removed from the folder (each with its manifest), newest first. */
  removed: string[];
  kept: string[];
}

export interface OffsiteBackup {
  name: string;
  created_at: string;
  bytes: number;
  /** Whether its manifest is there too; without it a download cannot be checked. */
  manifest: boolean;
}

async function hashFile(file: string): Promise<Fetched> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A backup's name, or one sentence: only names backup.ts gives are copied, listed and rotated. */
function backupName(name: string): string {
  if (backupTimeOfName(name)) return name;
  throw new TraderError(
    'BAD_INPUT',
    `${quote(name)} is not a backup's name (like trader-20261205T030000Z.trbk); only backups trader wrote go offsite.`,
  );
}

function parseSidecar(text: string, name: string, where: string): BackupSidecar {
  const parsed = (() => {
    try {
      return BackupSidecar.safeParse(JSON.parse(text));
    } catch {
      return undefined;
    }
  })();
  if (parsed?.success && parsed.data.file === name) return parsed.data;
  throw new TraderError('INTEGRITY', `The manifest of ${name} ${where} is not a backup manifest of that file.`);
}

/** The local backup and its manifest, checked against each other before anything leaves the machine. */
async function localBackup(file: string): Promise<{ name: string; sidecar: BackupSidecar; manifestSha: string }> {
  const name = backupName(path.basename(file));
  let text: string;
  try {
    text = fs.readFileSync(manifestName(file), 'utf8');
  } catch (e) {
    throw new TraderError(
      'NOT_FOUND',
      `${manifestName(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); a backup goes offsite with its manifest.`,
    );
  }
  const sidecar = parseSidecar(text, name, 'beside it');
  const actual = await hashFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new TraderError('NOT_FOUND', `${file} cannot be read (${e.code ?? 'error'}).`);
  });
  if (actual.sha256 !== sidecar.sha256 || actual.bytes !== sidecar.bytes)
    throw new TraderError(
      'INTEGRITY',
      `${file} does not match its manifest (sha256 or size differ); it was not copied offsite. Make a new backup.`,
    );
  return { name, sidecar, manifestSha: createHash('sha256').update(text).digest('hex') };
}

/** Uploads one file; an object of that name already there is fine only with the same sha256. */
async function putOnce(bucket: OffsiteBucket, name: string, file: string, type: string, sha256: string) {
  if ((await bucket.put(name, file, type)) === 'stored') return false;
  if ((await bucket.get(name)).sha256 === sha256) return true;
  throw new TraderError(
    'CONFIG_INVALID',
    `The offsite folder already holds a different ${name}; nothing was overwritten. Remove that object, or use another --prefix.`,
  );
}

/** The listed sizes must be the local ones: a copy cut short is caught now, not at restore time. */
function checkSizes(listed: StoredObject[], objects: UploadedObject[]): void {
  for (const o of objects) {
    const remote = listed.find((l) => l.name === o.name);
    if (remote?.bytes !== o.bytes)
      throw new TraderError(
        'INTEGRITY',
        `The offsite copy of ${o.name} has ${remote ? `${remote.bytes} bytes, not ${o.bytes}` : 'vanished after its upload'}; run the upload again.`,
      );
  }
}

/** The listed backups with the time their names carry; other objects in the folder are left alone. */
function datedBackups(listed: StoredObject[]): (StoredObject & { created_at: Date })[] {
  return listed.flatMap((o) => {
    const created_at = backupTimeOfName(o.name);
    return created_at ? [{ ...o, created_at }] : [];
  });
}

export async function uploadBackup(
  db: Db,
  backupFile: string,
  o: { target: OffsiteTarget; retention: Retention; actor: 'USER' | 'SYSTEM' },
): Promise<UploadDone> {
  const file = path.resolve(backupFile);
  const local = await localBackup(file);
  const { url, bucket: bucketName, prefix } = o.target;
  const audit = (status: 'PENDING' | 'SUCCESS' | 'FAILURE', details: Record<string, unknown>) =>
    recordAudit(db, {
      mode: 'SYSTEM',
      actor: o.actor,
      action_type: 'BACKUP_OFFSITE',
      status,
      details: { file_path: file, url, bucket: bucketName, prefix, ...details },
    });
  await audit('PENDING', {});
  try {
    const bucket = openBucket(o.target);
    const manifest = manifestName(local.name);
    const objects: UploadedObject[] = [];
    for (const [name, source, type, sha256] of [
      [local.name, file, 'application/octet-stream', local.sidecar.sha256],
      [manifest, manifestName(file), 'application/json', local.manifestSha],
    ] as const) {
      const already_there = await putOnce(bucket, name, source, type, sha256);
      objects.push({ name, bytes: fs.statSync(source).size, sha256, already_there });
    }
    const listed = await bucket.list();
    checkSizes(listed, objects);
    const plan = planRotation(datedBackups(listed), o.retention);
    const names = new Set(listed.map((l) => l.name));
    await bucket.remove(plan.remove.flatMap((n) => [n, manifestName(n)].filter((m) => names.has(m))));
    await audit('SUCCESS', {
      size_bytes: local.sidecar.bytes,
      sha256: local.sidecar.sha256,
      already_there: objects.filter((x) => x.already_there).map((x) => x.name),
      removed: plan.remove,
      kept: plan.keep.length,
    });
    return { file, url, bucket: bucketName, prefix, objects, removed: plan.remove, kept: plan.keep };
  } catch (e) {
    const err = toTraderError(e);
    await audit('FAILURE', { error: `${err.code}: ${err.message}` }).catch(() => undefined);
    throw err;
  }
}

/** The backups in the offsite folder, newest first. */
export async function listOffsite(target: OffsiteTarget): Promise<OffsiteBackup[]> {
  const listed = await openBucket(target).list();
  const names = new Set(listed.map((l) => l.name));
  return datedBackups(listed)
    .sort((a, b) => b.created_at.getTime() - a.created_at.getTime())
    .map((b) => ({
      name: b.name,
      created_at: b.created_at.toISOString(),
      bytes: b.bytes,
      manifest: names.has(manifestName(b.name)),
    }));
}

export interface Downloaded {
  file: string;
  manifest_file: string;
  sha256: string;
  bytes: number;
}

/**
 * Downloads a backup and its manifest into `toDir` and checks the backup's sha256 and
 * size against the manifest; a copy that differs is deleted again and refused.
 */
export async function downloadOffsite(target: OffsiteTarget, name: string, toDir: string): Promise<Downloaded> {
  backupName(name);
  const bucket = openBucket(target);
  fs.mkdirSync(toDir, { recursive: true, mode: 0o700 });
  const file = path.join(toDir, name);
  const manifest_file = manifestName(file);
  await bucket.get(manifestName(name), manifest_file);
  const sidecar = parseSidecar(fs.readFileSync(manifest_file, 'utf8'), name, 'in the offsite folder');
  const got = await bucket.get(name, file);
  if (got.sha256 !== sidecar.sha256 || got.bytes !== sidecar.bytes) {
    fs.rmSync(file, { force: true });
    throw new TraderError(
      'INTEGRITY',
      `The offsite copy of ${name} does not match its manifest (sha256 ${got.sha256.slice(0, 12)}… is not ${sidecar.sha256.slice(0, 12)}…); it was not used. Choose another backup.`,
    );
  }
  return { file, manifest_file, sha256: got.sha256, bytes: got.bytes };
}
