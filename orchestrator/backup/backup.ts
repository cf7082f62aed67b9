import fs from 'node:fs';
import path from 'node:path';
import { toTraderError } from '../../core/errors.ts';
import { writeBackup, type BackupManifest } from '../../store/backup/write-backup.ts';
import type { Db } from '../../store/db.ts';
import { traderHome } from '../../store/open.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';

/**
 * `trader backup`: the whole database in one sealed file (store/backup/write-backup.ts),
 * named by its time, with a plain manifest beside it (`<file>.manifest.json`: the sha256 of
 * the file, schema version, row counts, audit head, created at, source backend), so a copy
 * can be checked and chosen without the passphrase. Audited as the seed's section 14 says:
 * BACKUP_RUN PENDING, then SUCCESS with the path and size, or FAILURE with the reason.
 */

export interface BackupDone {
  file: string;
  manifest_file: string;
  bytes: number;
  sha256: string;
  manifest: BackupManifest;
}

export const defaultBackupDir = (env: NodeJS.ProcessEnv = process.env) => path.join(traderHome(env), 'backups');

/** A time as it appears in backup and export file names: 20261205T030000Z. */
export const fileStamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');

export async function makeBackup(
  db: Db,
  o: { dir: string; passphrase: string; actor: 'USER' | 'SYSTEM'; now?: Date; meta?: Record<string, unknown> },
): Promise<BackupDone> {
  const now = o.now ?? new Date();
  const file = path.join(path.resolve(o.dir), `trader-${fileStamp(now)}.trbk`);
  const audit = (status: 'PENDING' | 'SUCCESS' | 'FAILURE', details: Record<string, unknown>) =>
    auditBackupRun(db, o.actor, status, { file_path: file, ...details });
  await audit('PENDING', {});
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const written = await writeBackup(db, file, { passphrase: o.passphrase, now, meta: o.meta });
    const manifest_file = `${file}.manifest.json`;
    fs.writeFileSync(
      manifest_file,
      `${JSON.stringify({ file: path.basename(file), sha256: written.sha256, bytes: written.bytes, ...written.manifest }, null, 2)}\n`,
      { mode: 0o600 },
    );
    await audit('SUCCESS', { size_bytes: written.bytes, sha256: written.sha256, rows: rowTotal(written.manifest) });
    return { file, manifest_file, ...written };
  } catch (e) {
    const err = toTraderError(e);
    await audit('FAILURE', { error: `${err.code}: ${err.message}` }).catch(() => undefined);
    throw err;
  }
}

/** BACKUP_RUN as the seed's section 14 has it: mode SYSTEM, PENDING then SUCCESS (file_path, size_bytes) or FAILURE. */
export function auditBackupRun(
  db: Db,
  actor: 'USER' | 'SYSTEM',
  status: 'PENDING' | 'SUCCESS' | 'FAILURE',
  details: Record<string, unknown>,
): Promise<number> {
  return recordAudit(db, { mode: 'SYSTEM', actor, action_type: 'BACKUP_RUN', status, details });
}

export const rowTotal = (m: BackupManifest) => Object.values(m.tables).reduce((a, n) => a + n, 0);
