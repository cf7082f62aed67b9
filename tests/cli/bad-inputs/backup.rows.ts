import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

/** `trader backup` and `trader restore`: a passphrase or file that cannot be used is refused before the database is opened. */
export const rows: BadInput[] = [
  {
    what: 'a backup passphrase file that does not exist',
    args: ['backup', '--to', '{tmp}', '--passphrase-file', '{tmp}/nosuch'],
    exit: 2,
    message: /^trader: The passphrase file .*nosuch cannot be read \(ENOENT\)\.$/,
  },
  {
    what: 'a backup passphrase shorter than 12 characters',
    args: ['backup', '--to', '{tmp}', '--passphrase-file', '{tmp}/short'],
    setup: (tmp) => fs.writeFileSync(path.join(tmp, 'short'), 'tooshort\n'),
    exit: 2,
    message: /^trader: A backup passphrase needs at least 12 characters\.$/,
  },
  {
    what: 'restoring a backup file that does not exist',
    args: ['restore', '{tmp}/nosuch.trbk'],
    env: { TRADER_BACKUP_PASSPHRASE: 'a passphrase long enough' },
    exit: 2,
    message: /^trader: .*nosuch\.trbk is not a backup file \(it does not exist\)\.$/,
  },
  {
    what: 'restoring a folder',
    args: ['restore', '{tmp}'],
    env: { TRADER_BACKUP_PASSPHRASE: 'a passphrase long enough' },
    exit: 2,
    message: /^trader: .* is not a backup file \(not a file\)\.$/,
  },
  {
    what: 'restoring a file that is not a backup',
    args: ['restore', '{tmp}/notes.txt'],
    env: { TRADER_BACKUP_PASSPHRASE: 'a passphrase long enough' },
    setup: (tmp) => fs.writeFileSync(path.join(tmp, 'notes.txt'), 'just some notes, long enough to have a header\n'),
    exit: 2,
    message: /^trader: This is not a trader backup file \(it does not start like one\)\.$/,
  },
];
