import type { Command } from 'commander';
import { prompter } from '../../../core/prompt.ts';
import { defaultBackupDir, makeBackup, rowTotal } from '../../backup/backup.ts';
import { backupPassphrase } from '../../backup/passphrase.ts';
import { defaultRetention } from '../../backup/rotation.ts';
import { restoreBackup } from '../../backup/restore.ts';
import { checkBackup } from '../../../store/backup/read-backup.ts';
import { TraderError, toTraderError } from '../../../core/errors.ts';
import { uploadBackup, type UploadDone } from '../../backup/offsite.ts';
import { action, badInput, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import {
  folderOf,
  kib,
  offsiteRetention,
  type ProjectFlags,
  registerOffsiteCommands,
  storedTarget,
  targetFromFlags,
  withOffsiteDownload,
  withProjectFlags,
} from './backup-offsite.ts';

/** `trader backup` and `trader restore`: the whole database in one sealed file, and back (orchestrator/backup/). */

export function registerBackupCommands(program: Command): void {
  const backup = withJson(program.command('backup'))
    .enablePositionalOptions()
    .description(
      'write a consistent, compressed and encrypted backup of the whole database (both modes, audit trail, secrets still encrypted) with a manifest beside it',
    )
    .option('--to <dir>', 'where to write it (default: backups/ in TRADER_HOME)')
    .option(
      '--passphrase-file <file>',
      'read the passphrase from this file (else TRADER_BACKUP_PASSPHRASE, else asked twice)',
    )
    .option(
      '--offsite',
      'then copy it to the offsite bucket (`backup offsite set`) and rotate the copies there (key file, else the master PIN)',
    )
    .option(
      '--keep-daily <n>',
      `with --offsite: keep the newest backup of each of the last n days (default ${defaultRetention.daily})`,
    )
    .option('--keep-weekly <n>', `with --offsite: and of the last n ISO weeks (default ${defaultRetention.weekly})`)
    .option('--keep-monthly <n>', `with --offsite: and of the last n months (default ${defaultRetention.monthly})`)
    .addHelpText(
      'after',
      '\nExample:\n  $ trader backup --to /mnt/usb/trader\n  Backup passphrase: \n  Backup passphrase again: \n  $ trader backup --offsite --keep-daily 14\n\nKeep the passphrase somewhere else than the backup: without it the file cannot be opened.\nExit codes: 0 written (and copied), 2 a bad passphrase, folder or flag, no offsite set up, a wrong PIN or a refused key, 1 the database or disk failed (nothing is left under the final name) or the offsite project cannot be reached (the local backup stays), 5 a copy that does not match after its upload.',
    )
    .action(
      action(
        async (
          opts: JsonFlag & {
            to?: string;
            passphraseFile?: string;
            offsite?: boolean;
            keepDaily?: string;
            keepWeekly?: string;
            keepMonthly?: string;
          },
        ) => {
          const retention = offsiteRetention(opts);
          const passphrase = await backupPassphrase({ file: opts.passphraseFile, confirm: true });
          const done = await withDb('backup', async (db) => {
            // Opened before the backup is written, so a wrong PIN or missing setup costs nothing.
            const upload = retention
              ? { target: await storedTarget(db, 'copy a backup offsite'), retention, actor: 'USER' as const }
              : undefined;
            const written = await makeBackup(db, { dir: opts.to ?? defaultBackupDir(), passphrase, actor: 'USER' });
            if (!upload) return written;
            const offsite = await uploadBackup(db, written.file, upload).catch((e: unknown) => {
              throw notCopied(written.file, e);
            });
            return { ...written, offsite };
          });
          output(opts, { ok: true, ...done }, () =>
            [
              `backup written: ${done.file} (${kib(done.bytes)}, ${rowTotal(done.manifest)} rows, schema ${done.manifest.schema_version})`,
              `manifest: ${done.manifest_file}`,
              `sha256: ${done.sha256}`,
              ...('offsite' in done ? describeUpload(done.offsite) : []),
            ].join('\n'),
          );
        },
      ),
    );
  registerOffsiteCommands(backup);

  const restore = withJson(program.command('restore [file]'))
    .description(
      'restore a backup into the database TRADER_HOME or DATABASE_URL names: checked whole first, into an empty database only (or --force), then the audit chain verified',
    )
    .option(
      '--passphrase-file <file>',
      'read the passphrase from this file (else TRADER_BACKUP_PASSPHRASE, else asked)',
    )
    .option(
      '--from-offsite <name>',
      'download this backup from the offsite bucket (--url, --bucket; `backup offsite list` names them), checked against its manifest',
    );
  withProjectFlags(restore, 'with --from-offsite')
    .option('--force', 'replace everything in a database that is not empty (asks first)')
    .option('--yes', 'with --force: confirm without asking')
    .addHelpText(
      'after',
      '\nExample:\n  $ TRADER_HOME=~/trader-restored trader restore backups/trader-20261205T030000Z.trbk\n  $ TRADER_HOME=~/trader-restored trader restore --from-offsite trader-20261205T030000Z.trbk --url https://abcdefgh.supabase.co --bucket trader-backups\n  Supabase service key: \n  Backup passphrase: \n\nExit codes: 0 restored, 2 a wrong passphrase, another format, a schema this trader does not know, a database that is not empty, an unknown or refused offsite backup or key, 1 the offsite project cannot be reached, 5 a damaged or cut file, or an offsite copy that does not match its manifest (nothing restored).',
    )
    .action(
      action(
        async (
          file: string | undefined,
          opts: JsonFlag &
            ProjectFlags & { passphraseFile?: string; fromOffsite?: string; force?: boolean; yes?: boolean },
        ) => {
          if ((file === undefined) === (opts.fromOffsite === undefined))
            throw badInput('Name one backup to restore: a file, or --from-offsite <name>.');
          if ((opts.fromOffsite === undefined) !== (opts.url === undefined))
            throw badInput(
              opts.url === undefined
                ? '--from-offsite needs --url and --bucket: the database being restored holds no offsite settings.'
                : '--url, --bucket and --prefix name the offsite project of --from-offsite.',
            );
          const target = await targetFromFlags(opts);
          const passphrase = await backupPassphrase({ file: opts.passphraseFile });
          const restore = async (path: string) => {
            // The file is checked whole before the database is even opened: a bad one creates nothing.
            const checked = await checkBackup(path, passphrase);
            return withDb(
              'restore',
              (db) =>
                restoreBackup(db, path, {
                  passphrase,
                  force: opts.force,
                  confirm: (warning) => prompter.confirm(warning, opts.yes),
                  checked,
                }),
              { migrated: false },
            );
          };
          const done = target ? await withOffsiteDownload(target, opts.fromOffsite!, restore) : await restore(file!);
          output(
            opts,
            { ok: true, ...done },
            () =>
              `restored ${rowTotal(done.manifest)} rows from the backup of ${done.manifest.created_at} (${done.manifest.source_backend}); audit trail verified: ${done.audit_rows_checked} rows`,
          );
        },
      ),
    );
}

/** An upload that failed after the backup was written: the sentence says the local file is there. */
function notCopied(file: string, e: unknown): TraderError {
  const err = toTraderError(e);
  return new TraderError(err.code, `The backup ${file} was written, but not copied offsite: ${err.message}`);
}

function describeUpload(u: UploadDone): string[] {
  const sent = u.objects.filter((o) => !o.already_there).map((o) => o.name);
  return [
    `offsite: ${sent.length > 0 ? `uploaded ${sent.join(', ')}` : 'already there'} to ${folderOf(u)} at ${u.url}`,
    `offsite rotation: kept ${u.kept.length}, removed ${u.removed.length}${u.removed.length > 0 ? ` (${u.removed.join(', ')})` : ''}`,
  ];
}
