import type { BadInput } from './row.ts';

/**
 * Offsite copies (`backup offsite ...`, `backup --offsite`, `restore --from-offsite`): a bad
 * flag, a missing setup or a bad name is refused before any secret is asked or any request
 * leaves the machine; a URL is never echoed (it may carry a password).
 */
const project = ['--url', 'https://abcdefgh.supabase.co', '--bucket', 'trader-backups'];
const passphrase = { TRADER_BACKUP_PASSPHRASE: 'a passphrase long enough' };
const urlRefused =
  /^trader: --url must be a Supabase project URL like https:\/\/abcdefgh\.supabase\.co, with no user, path or query \(http only to this machine\)\.$/;
const notSetUp =
  /^trader: No offsite storage is set up; run `trader backup offsite set --url <project URL> --bucket <bucket>` first\.$/;

export const rows: BadInput[] = [
  {
    what: 'an offsite project URL that is not http(s)',
    args: ['backup', 'offsite', 'set', '--url', 'ftp://abcdefgh.supabase.co', '--bucket', 'b'],
    exit: 2,
    message: urlRefused,
  },
  {
    what: 'plain http to a host that is not this machine (the service key would travel in clear)',
    args: ['backup', 'offsite', 'set', '--url', 'http://abcdefgh.supabase.co', '--bucket', 'b'],
    exit: 2,
    message: urlRefused,
  },
  {
    what: 'an offsite project URL with a password in it (not echoed)',
    args: ['backup', 'offsite', 'set', '--url', 'https://me:hunter2@abcdefgh.supabase.co', '--bucket', 'b'],
    exit: 2,
    message: urlRefused,
  },
  {
    what: 'a bucket name with a slash',
    args: ['backup', 'offsite', 'set', '--url', 'https://abcdefgh.supabase.co', '--bucket', 'a/b'],
    exit: 2,
    message:
      /^trader: --bucket 'a\/b' is not usable: a bucket name is letters, digits, '\.', '-' and '_' \(up to 100\)\.$/,
  },
  {
    what: 'a folder that climbs out of the bucket',
    args: ['backup', 'offsite', 'set', ...project, '--prefix', 'home/../..'],
    exit: 2,
    message:
      /^trader: --prefix 'home\/\.\.\/\.\.' is not usable: a folder is names of letters, digits, '\.', '-' and '_' joined by '\/' \(no '\.' or '\.\.'\)\.$/,
  },
  {
    what: 'offsite set before a master PIN exists',
    args: ['backup', 'offsite', 'set', ...project],
    exit: 2,
    message: /^trader: No master PIN is set; run `trader secrets init` first\.$/,
  },
  { what: 'offsite list before offsite set', args: ['backup', 'offsite', 'list'], exit: 2, message: notSetUp },
  { what: 'offsite key-file before offsite set', args: ['backup', 'offsite', 'key-file'], exit: 2, message: notSetUp },
  {
    what: 'backup --offsite before offsite set (no backup is written)',
    args: ['backup', '--offsite', '--to', '{tmp}'],
    env: passphrase,
    exit: 2,
    message: notSetUp,
  },
  {
    what: 'a --keep flag without --offsite',
    args: ['backup', '--to', '{tmp}', '--keep-daily', '3'],
    exit: 2,
    message: /^trader: --keep-daily, --keep-weekly and --keep-monthly rotate the offsite folder; add --offsite\.$/,
  },
  {
    what: '--keep-daily of 0 (the newest backup of today must stay)',
    args: ['backup', '--offsite', '--keep-daily', '0'],
    exit: 2,
    message: /^trader: --keep-daily must be a positive whole number, not '0'\.$/,
  },
  {
    what: '--keep-monthly past its bound',
    args: ['backup', '--offsite', '--keep-monthly', '5000'],
    exit: 2,
    message: /^trader: --keep-monthly must be at most 1200, not '5000'\.$/,
  },
  {
    what: 'restore with neither a file nor --from-offsite',
    args: ['restore'],
    exit: 2,
    message: /^trader: Name one backup to restore: a file, or --from-offsite <name>\.$/,
  },
  {
    what: 'restore --from-offsite without the project',
    args: ['restore', '--from-offsite', 'trader-20261205T030000Z.trbk'],
    exit: 2,
    message:
      /^trader: --from-offsite needs --url and --bucket: the database being restored holds no offsite settings\.$/,
  },
  {
    what: 'restore of a local file with an offsite project',
    args: ['restore', '{tmp}/a.trbk', ...project],
    exit: 2,
    message: /^trader: --url, --bucket and --prefix name the offsite project of --from-offsite\.$/,
  },
  {
    what: 'restore --from-offsite of a name that is no backup (a path), before any request',
    args: ['restore', '--from-offsite', '../../etc/passwd', ...project],
    env: passphrase,
    stdin: 'a-service-key\n',
    exit: 2,
    message:
      /^trader: '\.\.\/\.\.\/etc\/passwd' is not a backup's name \(like trader-20261205T030000Z\.trbk\); only backups trader wrote go offsite\.$/,
  },
  {
    what: 'offsite list with --bucket but no --url',
    args: ['backup', 'offsite', 'list', '--bucket', 'b'],
    exit: 2,
    message: /^trader: --bucket and --prefix name a project together with --url\.$/,
  },
  {
    what: 'offsite list with --url but no --bucket',
    args: ['backup', 'offsite', 'list', '--url', 'https://abcdefgh.supabase.co'],
    exit: 2,
    message: /^trader: --url needs --bucket: name the bucket the backups are in\.$/,
  },
  {
    what: 'an empty service key',
    args: ['backup', 'offsite', 'list', ...project],
    stdin: '\n',
    exit: 2,
    message: /^trader: The Supabase service key is empty; paste the project service_role key\.$/,
  },
];
