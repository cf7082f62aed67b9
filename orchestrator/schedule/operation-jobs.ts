import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runCorrelationAnalysis } from '../../analysis/correlation-run.ts';
import { readCorrelationSettings } from '../../analysis/correlation-settings.ts';
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
import type { ScheduleRow } from './schedule-row.ts';

/**
 * The scheduler's operations on the whole database (`trader schedule add --job backup|export|correlation`):
 * at each tick a backup, or an export of each chosen table, named by the tick, then the
 * folder rotated to the kept copies (rotation.ts: daily, weekly, monthly); or the lead-coin
 * correlation analysis of the candles stored since its last run. Each is audited
 * BACKUP_RUN / EXPORT_RUN / CORRELATION_ANALYSIS_RUN with actor SYSTEM; a failed backup fails
 * the tick and stays loud in `trader status` until a later backup succeeds.
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

/** A correlation tick takes nothing of its own: the settings (correlation_settings) say what to analyse. */
export const ScheduledCorrelation = z.strictObject({});
export type ScheduledCorrelation = z.infer<typeof ScheduledCorrelation>;

export interface OperationDone {
  files: string[];
  removed: string[];
  /** Set when the tick did nothing by design: why (the tick is recorded as skipped). */
  skipped?: string;
}

/** A schedule whose ticks act on the whole database rather than run a pipeline or a study. */
export type OperationSchedule = Extract<ScheduleRow, { job: 'backup' | 'export' | 'correlation' }>;

export const isOperationSchedule = (s: ScheduleRow): s is OperationSchedule =>
  s.job === 'backup' || s.job === 'export' || s.job === 'correlation';

/** One tick of an operation schedule. */
export function runScheduledOperation(
  db: Db,
  s: OperationSchedule,
  tick: Date,
  env: NodeJS.ProcessEnv,
): Promise<OperationDone> {
  switch (s.job) {
    case 'backup':
      return runScheduledBackup(db, s.job_args, tick, env);
    case 'export':
      return runScheduledExport(db, s.job_args, tick);
    case 'correlation':
      return runScheduledCorrelation(db, tick);
  }
}

/**
 * The correlation analysis at a tick, as of the tick, from where the last run stopped; while
 * enable_correlation_analysis is false the tick does nothing and is recorded as skipped.
 */
export async function runScheduledCorrelation(db: Db, tick: Date): Promise<OperationDone> {
  if (!(await readCorrelationSettings(db)).enable_correlation_analysis)
    return {
      files: [],
      removed: [],
      skipped:
        'not run: enable_correlation_analysis is false (set correlation.enable_correlation_analysis in `trader config apply`)',
    };
  await runCorrelationAnalysis(db, {}, { actor: 'SYSTEM', now: tick });
  return { files: [], removed: [] };
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
