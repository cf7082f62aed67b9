import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TraderError, toTraderError } from '../../core/errors.ts';
import { auditBackupRun, fileStamp, makeBackup } from '../backup/backup.ts';
import { backupPassphrase } from '../backup/passphrase.ts';
import { rotateFolder } from '../backup/folder-rotation.ts';
import { uploadBackup } from '../backup/offsite.ts';
import { openOffsiteWithKeyFile } from '../backup/offsite-key-file.ts';
import { Retention } from '../backup/rotation.ts';
import { ExportKind } from '../export/export-kinds.ts';
import { runExports } from '../export/export.ts';
import { ExportFormat } from '../export/row-format.ts';
import type { Db } from '../../store/db.ts';

/**
 * The scheduler's operations on the whole database (`trader schedule add --job backup|export`):
 * at each tick a backup, or an export of each chosen table, named by the tick, then the
 * folder rotated to the kept copies (rotation.ts: daily, weekly, monthly). Each is audited
 * BACKUP_RUN / EXPORT_RUN with actor SYSTEM; a failure fails the tick and stays loud in
 * `trader status` until a later backup succeeds.
 */

export const ScheduledBackup = z.object({
  dir: z.string().min(1),
  retention: Retention,
  /** Where the scheduler reads the passphrase; null: TRADER_BACKUP_PASSPHRASE of its process. */
  passphrase_file: z.string().nullable(),
  /** Then copied to the offsite bucket with the unattended key file, and the copies there rotated alike. */
  offsite: z.boolean().default(false),
});
export type ScheduledBackup = z.infer<typeof ScheduledBackup>;

export const ScheduledExport = z.object({
  dir: z.string().min(1),
  kinds: z.array(ExportKind.exclude(['backtest'])).min(1),
  format: ExportFormat,
  retention: Retention,
});
export type ScheduledExport = z.infer<typeof ScheduledExport>;

export interface OperationDone {
  files: string[];
  removed: string[];
}

export async function runScheduledBackup(
  db: Db,
  job: ScheduledBackup,
  tick: Date,
  env: NodeJS.ProcessEnv,
): Promise<OperationDone> {
  let passphrase: string;
  try {
    if (job.passphrase_file === null && !env.TRADER_BACKUP_PASSPHRASE)
      throw new TraderError(
        'CONFIG_INVALID',
        'A scheduled backup needs its passphrase: set TRADER_BACKUP_PASSPHRASE for `trader schedule run`, or add the schedule with --passphrase-file.',
      );
    passphrase = await backupPassphrase({ file: job.passphrase_file ?? undefined, env });
  } catch (e) {
    // Audited like any failed backup, so `trader status` shows it.
    const err = toTraderError(e);
    await auditBackupRun(db, 'SYSTEM', 'FAILURE', { dir: job.dir, error: `${err.code}: ${err.message}` });
    throw err;
  }
  const done = await makeBackup(db, { dir: job.dir, passphrase, actor: 'SYSTEM', now: tick });
  const removed = rotateFolder(job.dir, job.retention, (name) =>
    name.startsWith('trader-') && name.endsWith('.trbk')
      ? { group: 'backup', companions: [`${name}.manifest.json`] }
      : undefined,
  );
  if (!job.offsite) return { files: [done.file], removed };
  // Uploaded after the local rotation: a failed upload leaves the local copies as planned.
  const target = await openOffsiteWithKeyFile(db, env);
  const uploaded = await uploadBackup(db, done.file, { target, retention: job.retention, actor: 'SYSTEM' });
  return { files: [done.file], removed: [...removed, ...uploaded.removed.map((r) => `offsite:${r}`)] };
}

export async function runScheduledExport(db: Db, job: ScheduledExport, tick: Date): Promise<OperationDone> {
  fs.mkdirSync(job.dir, { recursive: true, mode: 0o700 });
  const jobs = job.kinds.map((kind) => ({
    kind,
    format: job.format,
    to: tick,
    modes: ['TEST', 'LIVE'] as ('TEST' | 'LIVE')[],
    file: path.join(job.dir, `export_${kind}_${fileStamp(tick)}.${job.format}`),
  }));
  const done = await runExports(db, jobs, { actor: 'SYSTEM' });
  const removed = rotateFolder(job.dir, job.retention, (name) => {
    const kind = /^export_([a-z]+)_\d{8}T\d{6}Z\.(csv|jsonl)$/.exec(name)?.[1];
    return kind ? { group: kind, companions: [] } : undefined;
  });
  return { files: done.map((d) => d.file!), removed };
}
