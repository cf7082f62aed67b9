import type { Command } from 'commander';
import { quote } from '../../core/quote.ts';
import path from 'node:path';
import { assertUsableDir } from '../../core/usable-dir.ts';
import { defaultBackupDir } from '../backup/backup.ts';
import { backupPassphrase } from '../backup/passphrase.ts';
import { defaultRetention, type Retention } from '../backup/rotation.ts';
import { defaultExportDir } from '../export/export.ts';
import { ExportFormat } from '../export/row-format.ts';
import { ScheduledExport } from '../schedule/operation-jobs.ts';
import type { ScheduledOperation } from '../schedule/schedule-admin.ts';
import type { ScheduledStudy } from '../schedule/scheduled-study.ts';
import { badInput, splitList, wholeNumber } from './command-kit.ts';
import { studyFlagNames, studySettings, type StudyFlags } from './study-flags.ts';

/** The flags of `schedule add` that say what a tick does: run the pipeline, study strategies, back up, export or analyse correlation. */
export interface JobFlags extends StudyFlags {
  job: string;
  lookbackDays?: string;
  strategy?: string;
  offline?: boolean;
  to?: string;
  passphraseFile?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  tables?: string;
  format?: string;
  offsite?: boolean;
}

const operationFlags = [
  'to',
  'passphraseFile',
  'keepDaily',
  'keepWeekly',
  'keepMonthly',
  'tables',
  'format',
  'offsite',
] as const;
const flagName = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function retention(flags: JobFlags): Retention {
  return {
    daily: wholeNumber(flags.keepDaily ?? String(defaultRetention.daily), '--keep-daily', 1, 366),
    weekly: wholeNumber(flags.keepWeekly ?? String(defaultRetention.weekly), '--keep-weekly', 0, 520),
    monthly: wholeNumber(flags.keepMonthly ?? String(defaultRetention.monthly), '--keep-monthly', 0, 1200),
  };
}

/**
 * A `--job backup|export` schedule's arguments: folders made absolute (the scheduler may
 * start elsewhere) and checked now, the passphrase file read now (a typo fails here, not
 * at 3 a.m.), only flags of its own job accepted.
 */
async function scheduledOperation(cmd: Command, flags: JobFlags): Promise<ScheduledOperation> {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const stray = [...studyFlagNames, 'lookbackDays', 'strategy', 'offline'].find(given);
  if (stray) throw badInput(`${flagName(stray)} does not apply to --job ${flags.job}.`);
  if (flags.job === 'correlation') {
    // Its settings are the configuration file's `correlation:` section, shared with `trader correlation run`.
    const own = operationFlags.find(given);
    if (own)
      throw badInput(
        `${flagName(own)} does not apply to --job correlation: set correlation.* in the configuration file.`,
      );
    return { job: 'correlation', args: {} };
  }
  if (flags.job === 'backup') {
    if (given('tables') || given('format'))
      throw badInput(`${flagName(given('tables') ? 'tables' : 'format')} applies to --job export only.`);
    const dir = path.resolve(flags.to ?? defaultBackupDir());
    assertUsableDir(dir, '--to');
    const passphraseFile = flags.passphraseFile ? path.resolve(flags.passphraseFile) : null;
    if (passphraseFile) await backupPassphrase({ file: passphraseFile, confirm: true });
    return {
      job: 'backup',
      args: { dir, retention: retention(flags), passphrase_file: passphraseFile, offsite: flags.offsite ?? false },
    };
  }
  const backupOnly = (['passphraseFile', 'offsite'] as const).find(given);
  if (backupOnly) throw badInput(`${flagName(backupOnly)} applies to --job backup only.`);
  const dir = path.resolve(flags.to ?? defaultExportDir());
  assertUsableDir(dir, '--to');
  const kinds = splitList(flags.tables ?? 'trades,audit').map((t) => {
    const kind = ScheduledExport.shape.kinds.element.safeParse(t);
    if (!kind.success) throw badInput(`--tables takes trades, runs and audit, not ${quote(t)}.`);
    return kind.data;
  });
  const format = ExportFormat.safeParse(flags.format ?? 'csv');
  if (!format.success) throw badInput(`--format must be csv or jsonl, not ${quote(flags.format ?? '')}.`);
  return { job: 'export', args: { dir, kinds, format: format.data, retention: retention(flags) } };
}

/** What each tick of a new schedule does, from its flags. */
export async function scheduledJob(
  cmd: Command,
  flags: JobFlags,
): Promise<{ study?: ScheduledStudy; operation?: ScheduledOperation }> {
  if (flags.job === 'backup' || flags.job === 'export' || flags.job === 'correlation')
    return { operation: await scheduledOperation(cmd, flags) };
  return { study: await scheduledStudy(cmd, flags) };
}

/**
 * The study a `--job optimise` schedule runs at each tick, from its flags; a `--job run`
 * schedule refuses the study flags rather than ignore them.
 */
async function scheduledStudy(cmd: Command, flags: JobFlags): Promise<ScheduledStudy | undefined> {
  const job = flags.job;
  if (job !== 'run' && job !== 'optimise')
    throw badInput(`--job must be run, optimise, backup, export or correlation, not ${quote(job)}.`);
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const operation = operationFlags.find(given);
  if (operation) throw badInput(`${flagName(operation)} applies to --job backup or export only.`);
  if (job === 'run') {
    const stray = [...studyFlagNames, 'lookbackDays'].find(given);
    if (stray) throw badInput(`${flagName(stray)} applies to --job optimise only; a pipeline run does not study.`);
    return undefined;
  }
  if (flags.offline) throw badInput('--offline applies to --job run only; a study always replays cached candles.');
  if (!flags.strategy)
    throw badInput('--job optimise needs --strategy: the strategy (or a comma-separated list) to study.');
  return {
    strategies: splitList(flags.strategy),
    lookback_days: wholeNumber(flags.lookbackDays ?? '1095', '--lookback-days', 30, 5000),
    settings: await studySettings(flags),
  };
}
