import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { prompter } from '../../../core/prompt.ts';
import type { Db } from '../../../store/db.ts';
import { assertPinSet, requirePin } from '../../../trading/secrets/pin.ts';
import { downloadOffsite, listOffsite, type OffsiteBackup } from '../../backup/offsite.ts';
import {
  offsiteKeyFile,
  offsiteKeyFileReady,
  openOffsiteWithKeyFile,
  openOffsiteWithPin,
  writeOffsiteKeyFile,
} from '../../backup/offsite-key-file.ts';
import {
  assertOffsiteNameFree,
  notConfigured,
  type OffsiteTarget,
  parseOffsiteSettings,
  readOffsitePlace,
  saveOffsiteSettings,
} from '../../backup/offsite-settings.ts';
import { defaultRetention, Retention } from '../../backup/rotation.ts';
import { action, badInput, output, wholeNumber, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';

/**
 * `trader backup offsite ...`: where offsite copies go (a Supabase Storage bucket), the
 * unattended key file, the list of copies; and the pieces `backup --offsite` and
 * `restore --from-offsite` use (backup.ts). The service key is asked through the prompter
 * (hidden, or one stdin line), never taken from argv or the environment, never printed.
 */

export interface ProjectFlags {
  url?: string;
  bucket?: string;
  prefix?: string;
}

const pipedNote = '\nWithout a terminal, answers are read one per line from stdin, in the order they are asked.';

/** `--url`, `--bucket`, `--prefix`: a project named on the command line instead of the stored one. */
export function withProjectFlags(cmd: Command, what: string): Command {
  return cmd
    .option('--url <url>', `the Supabase project URL (${what}; the service key is asked)`)
    .option('--bucket <bucket>', 'the bucket, with --url')
    .option('--prefix <folder>', 'the folder in the bucket, with --url (default: its top level)');
}

/** The target the flags name, with the service key asked now; undefined without --url. */
export async function targetFromFlags(flags: ProjectFlags): Promise<OffsiteTarget | undefined> {
  if (flags.url === undefined) {
    if (flags.bucket !== undefined || flags.prefix !== undefined)
      throw badInput('--bucket and --prefix name a project together with --url.');
    return undefined;
  }
  if (!flags.bucket) throw badInput('--url needs --bucket: name the bucket the backups are in.');
  const settings = parseOffsiteSettings({ url: flags.url, bucket: flags.bucket, prefix: flags.prefix });
  return { ...settings, serviceKey: await askServiceKey() };
}

async function askServiceKey(): Promise<string> {
  const key = (await prompter.secret('Supabase service key')).trim();
  if (!key) throw badInput('The Supabase service key is empty; paste the project service_role key.');
  return key;
}

/** The stored target: with the offsite key file when it is usable, else after the master PIN. */
export async function storedTarget(db: Db, purpose: string): Promise<OffsiteTarget> {
  if (!(await readOffsitePlace(db))) throw notConfigured();
  if (offsiteKeyFileReady()) return openOffsiteWithKeyFile(db);
  return openOffsiteWithPin(db, await requirePin(db, purpose));
}

/**
 * With --offsite: `--keep-daily/-weekly/-monthly`, each defaulting to defaultRetention,
 * within Retention's bounds. Without it they are refused: they rotate the offsite folder.
 */
export function offsiteRetention(flags: {
  offsite?: boolean;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
}): Retention | undefined {
  if (!flags.offsite) {
    if ([flags.keepDaily, flags.keepWeekly, flags.keepMonthly].some((v) => v !== undefined))
      throw badInput('--keep-daily, --keep-weekly and --keep-monthly rotate the offsite folder; add --offsite.');
    return undefined;
  }
  const one = (value: string | undefined, flag: string, key: keyof Retention): number => {
    const bounds = Retention.shape[key];
    return value === undefined ? defaultRetention[key] : wholeNumber(value, flag, bounds.minValue!, bounds.maxValue!);
  };
  return {
    daily: one(flags.keepDaily, '--keep-daily', 'daily'),
    weekly: one(flags.keepWeekly, '--keep-weekly', 'weekly'),
    monthly: one(flags.keepMonthly, '--keep-monthly', 'monthly'),
  };
}

/**
 * `restore --from-offsite <name>`: downloads the backup into a folder of its own, checked
 * against its manifest, hands the file to `use` (the restore) and removes the folder.
 */
export async function withOffsiteDownload<T>(
  target: OffsiteTarget,
  name: string,
  use: (file: string) => Promise<T>,
): Promise<T & { offsite: { url: string; bucket: string; prefix: string; name: string } }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-offsite-'));
  try {
    const downloaded = await downloadOffsite(target, name, dir);
    const done = await use(downloaded.file);
    return { ...done, offsite: { url: target.url, bucket: target.bucket, prefix: target.prefix, name } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A backup's size as `backup` and `backup offsite list` print it. */
export const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
/** How output names the offsite folder. */
export const folderOf = (t: { bucket: string; prefix: string }) =>
  `bucket '${t.bucket}'${t.prefix ? `, folder '${t.prefix}'` : ''}`;

function backupsTable(backups: OffsiteBackup[]): string {
  return table(
    ['name', 'created', 'size', 'manifest'],
    backups.map((b) => [b.name, b.created_at, kib(b.bytes), b.manifest ? 'yes' : 'MISSING']),
  );
}

export function registerOffsiteCommands(backup: Command): void {
  const offsite = backup
    .command('offsite')
    .description('offsite copies of backups in a Supabase Storage bucket: where they go, the key file, the list');

  withJson(offsite.command('set'))
    .description(
      'store where offsite copies go: the project URL and service key in the key vault (under the master PIN), bucket and folder beside them; checked with one listing first',
    )
    .requiredOption('--url <url>', 'the Supabase project URL, e.g. https://abcdefgh.supabase.co')
    .requiredOption('--bucket <bucket>', 'an existing (private) bucket')
    .option('--prefix <folder>', 'a folder in the bucket (default: its top level)')
    .addHelpText(
      'after',
      `\nExample:\n  $ trader backup offsite set --url https://abcdefgh.supabase.co --bucket trader-backups --prefix home\n  Master PIN: \n  Supabase service key: \n${pipedNote}\nThe service key (Project settings, API keys: service_role) is never accepted as an argument or environment variable.\nExit codes: 0 stored, 2 a bad flag, wrong PIN, a refused key or a missing bucket (nothing stored), 1 the project cannot be reached, 4 PIN entry locked.`,
    )
    .action(
      action(async (opts: JsonFlag & { url: string; bucket: string; prefix?: string }) => {
        const settings = parseOffsiteSettings(opts);
        await withDb('backup offsite set', async (db) => {
          await assertOffsiteNameFree(db);
          await assertPinSet(db);
          const pin = await prompter.secret('Master PIN');
          await saveOffsiteSettings(db, pin, settings, await askServiceKey());
        });
        output(
          opts,
          { ok: true, ...settings },
          () =>
            `Offsite copies go to ${folderOf(settings)} at ${settings.url}; the service key is stored encrypted under the master PIN. For scheduled backups, write a key file with \`${offsiteKeyFile.command}\`.`,
        );
      }),
    );

  withJson(offsite.command('key-file'))
    .description(
      'write the unattended key file (TRADER_OFFSITE_KEY_FILE, else TRADER_HOME/offsite.key, mode 0600) that lets a scheduled `backup --offsite` open the service key without the PIN',
    )
    .addHelpText(
      'after',
      `\nExample:\n  $ trader backup offsite key-file\n  Master PIN: \n${pipedNote}\nThe file opens the offsite service key only (never the PIN or any other key); keep it 0600 and owned by you, or it is refused.`,
    )
    .action(
      action(async (opts: JsonFlag) => {
        const file = await withDb('backup offsite key-file', async (db) => {
          if (!(await readOffsitePlace(db))) throw notConfigured();
          return writeOffsiteKeyFile(db, await requirePin(db, 'write the offsite key file'));
        });
        output(
          opts,
          { ok: true, file },
          () =>
            `Wrote ${file} (0600): \`trader backup --offsite\` opens the offsite service key with it, without the PIN. Anyone who can read it can read and delete your offsite backups.`,
        );
      }),
    );

  withJson(withProjectFlags(offsite.command('list'), 'e.g. on a new machine'))
    .description(
      'list the backups in the offsite folder, newest first (the stored project: key file or master PIN; or one named with --url)',
    )
    .addHelpText(
      'after',
      `\nExample:\n  $ trader backup offsite list\n  $ trader backup offsite list --url https://abcdefgh.supabase.co --bucket trader-backups --json\n  Supabase service key: \n${pipedNote}\nExit codes: 0 listed, 2 nothing set up, a wrong PIN, a refused key or a missing bucket, 1 the project cannot be reached.`,
    )
    .action(
      action(async (opts: JsonFlag & ProjectFlags) => {
        const target =
          (await targetFromFlags(opts)) ??
          (await withDb('backup offsite list', (db) => storedTarget(db, 'list offsite backups')));
        const backups = await listOffsite(target);
        output(opts, { ok: true, url: target.url, bucket: target.bucket, prefix: target.prefix, backups }, () =>
          backups.length === 0
            ? `No backups in ${folderOf(target)} at ${target.url} yet; copy one with \`trader backup --offsite\`.`
            : `${folderOf(target)} at ${target.url}:\n${backupsTable(backups)}`,
        );
      }),
    );
}
