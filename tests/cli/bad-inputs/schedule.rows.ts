import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

/** `trader schedule add`: what it schedules must exist, and its numbers fit their columns. */
const add = (...flags: string[]) => ['schedule', 'add', '0 * * * *', '--symbols', 'BTC/USDT', ...flags];

/** `schedule add --job backup|export`: on the whole database, no symbols. */
const op = (job: 'backup' | 'export', ...flags: string[]) => ['schedule', 'add', '0 3 * * *', '--job', job, ...flags];

export const rows: BadInput[] = [
  {
    what: 'a scheduled backup with symbols',
    args: op('backup', '--symbols', 'BTC/USDT', '--to', '{tmp}'),
    exit: 2,
    message: /^trader: --symbols does not apply to --job backup: it acts on the whole database\.$/,
  },
  {
    what: 'a scheduled backup whose passphrase file does not exist',
    args: op('backup', '--to', '{tmp}', '--passphrase-file', '{tmp}/nosuch'),
    exit: 2,
    message: /^trader: The passphrase file .*nosuch cannot be read \(ENOENT\)\.$/,
  },
  {
    what: 'a scheduled backup keeping no daily copy',
    args: op('backup', '--to', '{tmp}', '--keep-daily', '0'),
    exit: 2,
    message: /^trader: --keep-daily must be a positive whole number, not '0'\.$/,
  },
  {
    what: 'a scheduled export of a table trader does not export',
    args: op('export', '--to', '{tmp}', '--tables', 'trades,wallets'),
    exit: 2,
    message: /^trader: --tables takes trades, runs and audit, not 'wallets'\.$/,
  },
  {
    what: 'a scheduled export with a backup-only flag',
    args: op('export', '--to', '{tmp}', '--offsite'),
    exit: 2,
    message: /^trader: --offsite applies to --job backup only\.$/,
  },
  {
    what: 'a scheduled pipeline run with an export flag',
    args: add('--tables', 'trades'),
    exit: 2,
    message: /^trader: --tables applies to --job backup or export only\.$/,
  },
  {
    what: 'a scheduled backup into a folder under a file',
    args: op('backup', '--to', '{tmp}/file/backups'),
    setup: (tmp) => fs.writeFileSync(path.join(tmp, 'file'), 'x'),
    exit: 2,
    message:
      /^trader: --to \(.*file\/backups\) lies under .*file, which is a file; point it at a folder you can write to\.$/,
  },
  {
    what: 'a schedule for a pipeline that does not exist',
    args: add('--pipeline', 'nosuch'),
    exit: 2,
    message: /^trader: No pipeline 'nosuch' in pipeline_config; run `trader db seed` or give an existing --pipeline\.$/,
  },
  {
    what: 'a schedule for a strategy that does not exist',
    args: add('--strategy', 'nosuch'),
    exit: 2,
    message: /^trader: No strategy 'nosuch' for pipeline 'default' in strategy_config/,
  },
  {
    what: '--grace-minutes 2^31 (reached Postgres as a raw error)',
    args: add('--grace-minutes', '2147483648'),
    exit: 2,
    message: /^trader: --grace-minutes must be at most 10080, not '2147483648'\.$/,
  },
  {
    what: '--history 2^31 (reached Postgres as a raw error)',
    args: add('--history', '2147483648'),
    exit: 2,
    message: /^trader: --history must be at most 100000, not '2147483648'\.$/,
  },
  {
    what: 'a 500-character --name is cut short in the message',
    args: add('--name', 'x'.repeat(500)),
    exit: 2,
    message: /^trader: --name 'x{60}…' \(500 characters\) is not a valid schedule name/,
  },
  {
    what: 'a time zone that does not exist',
    args: add('--timezone', 'Mars/Phobos'),
    exit: 2,
    message: /^trader: Unknown time zone 'Mars\/Phobos'/,
  },
  {
    what: 'a study flag on a pipeline-run schedule',
    args: add('--trials', '50'),
    exit: 2,
    message: /^trader: --trials applies to --job optimise only; a pipeline run does not study\.$/,
  },
  {
    what: 'a job that does not exist',
    args: add('--job', 'restore'),
    exit: 2,
    message: /^trader: --job must be run, optimise, backup, export or correlation, not 'restore'\.$/,
  },
  {
    what: 'a scheduled study without a strategy',
    args: add('--job', 'optimise'),
    exit: 2,
    message: /^trader: --job optimise needs --strategy: the strategy \(or a comma-separated list\) to study\.$/,
  },
  {
    what: 'a scheduled study of a strategy that does not exist',
    args: add('--job', 'optimise', '--strategy', 'nosuch'),
    exit: 2,
    message: /^trader: No strategy 'nosuch' in strategy_config; known: /,
  },
  {
    what: 'a scheduled study that looks back too short for its windows',
    args: add('--job', 'optimise', '--strategy', 'breakout', '--lookback-days', '10'),
    exit: 2,
    message: /^trader: --lookback-days must be a whole number of at least 30, not '10'\.$/,
  },
  {
    what: 'removing a schedule that does not exist',
    args: ['schedule', 'remove', 'nosuch', '--yes'],
    exit: 2,
    message: /^trader: No schedule named 'nosuch'; see `trader schedule list`\.$/,
  },
  {
    what: 'a manual run of a schedule that does not exist',
    args: ['schedule', 'trigger', 'nosuch'],
    exit: 2,
    message: /^trader: No schedule named 'nosuch'; see `trader schedule list`\.$/,
  },
  {
    what: 'a manual run for a risk profile that does not exist',
    args: ['schedule', 'trigger', 'nosuch', '--profile', 'reckless'],
    exit: 2,
    message: /^trader: --profile must be low, medium or high, not 'reckless'\.$/,
  },
];
