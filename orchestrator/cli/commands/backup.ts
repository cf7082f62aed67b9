import type { Command } from 'commander';
import { prompter } from '../../../core/prompt.ts';
import { defaultBackupDir, makeBackup, rowTotal } from '../../backup/backup.ts';
import { backupPassphrase } from '../../backup/passphrase.ts';
import { restoreBackup } from '../../backup/restore.ts';
import { checkBackup } from '../../../store/backup/read-backup.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';

/** `trader backup` and `trader restore`: the whole database in one sealed file, and back (orchestrator/backup/). */

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

export function registerBackupCommands(program: Command): void {
  withJson(program.command('backup'))
    .description(
      'write a consistent, compressed and encrypted backup of the whole database (both modes, audit trail, secrets still encrypted) with a manifest beside it',
    )
    .option('--to <dir>', 'where to write it (default: backups/ in TRADER_HOME)')
    .option(
      '--passphrase-file <file>',
      'read the passphrase from this file (else TRADER_BACKUP_PASSPHRASE, else asked twice)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ trader backup --to /mnt/usb/trader\n  Backup passphrase: \n  Backup passphrase again: \n\nKeep the passphrase somewhere else than the backup: without it the file cannot be opened.\nExit codes: 0 written, 2 a bad passphrase or folder, 1 the database or disk failed (nothing is left under the final name).',
    )
    .action(
      action(async (opts: JsonFlag & { to?: string; passphraseFile?: string }) => {
        const passphrase = await backupPassphrase({ file: opts.passphraseFile, confirm: true });
        const done = await withDb('backup', (db) =>
          makeBackup(db, { dir: opts.to ?? defaultBackupDir(), passphrase, actor: 'USER' }),
        );
        output(opts, { ok: true, ...done }, () =>
          [
            `backup written: ${done.file} (${kib(done.bytes)}, ${rowTotal(done.manifest)} rows, schema ${done.manifest.schema_version})`,
            `manifest: ${done.manifest_file}`,
            `sha256: ${done.sha256}`,
          ].join('\n'),
        );
      }),
    );

  withJson(program.command('restore <file>'))
    .description(
      'restore a backup into the database TRADER_HOME or DATABASE_URL names: checked whole first, into an empty database only (or --force), then the audit chain verified',
    )
    .option(
      '--passphrase-file <file>',
      'read the passphrase from this file (else TRADER_BACKUP_PASSPHRASE, else asked)',
    )
    .option('--force', 'replace everything in a database that is not empty (asks first)')
    .option('--yes', 'with --force: confirm without asking')
    .addHelpText(
      'after',
      '\nExample:\n  $ TRADER_HOME=~/trader-restored trader restore backups/trader-20261205T030000Z.trbk\n\nExit codes: 0 restored, 2 a wrong passphrase, another format, a schema this trader does not know, or a database that is not empty, 5 a damaged or cut file (nothing restored).',
    )
    .action(
      action(async (file: string, opts: JsonFlag & { passphraseFile?: string; force?: boolean; yes?: boolean }) => {
        const passphrase = await backupPassphrase({ file: opts.passphraseFile });
        // The file is checked whole before the database is even opened: a bad one creates nothing.
        const checked = await checkBackup(file, passphrase);
        const done = await withDb(
          'restore',
          (db) =>
            restoreBackup(db, file, {
              passphrase,
              force: opts.force,
              confirm: (warning) => prompter.confirm(warning, opts.yes),
              checked,
            }),
          { migrated: false },
        );
        output(
          opts,
          { ok: true, ...done },
          () =>
            `restored ${rowTotal(done.manifest)} rows from the backup of ${done.manifest.created_at} (${done.manifest.source_backend}); audit trail verified: ${done.audit_rows_checked} rows`,
        );
      }),
    );
}
