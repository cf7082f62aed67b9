import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

/**
 * `trader backtest --out`: checked before the replay runs and stores a backtest row (it
 * used to run, store, then fail to write with "Unexpected error: ENOENT").
 */
const out = (file: string) => [
  'backtest',
  '--symbols',
  'BTC/USDT',
  '--from',
  '2024-03-01',
  '--to',
  '2024-03-02',
  '--out',
  file,
];

export const rows: BadInput[] = [
  {
    what: '--out on /proc',
    args: out('/proc/report.json'),
    exit: 2,
    message:
      /^trader: --out \/proc\/report\.json is on a kernel file system; give a file in a folder you can write to\.$/,
  },
  {
    what: '--out into a folder that does not exist',
    args: out('{tmp}/missing/report.json'),
    exit: 2,
    message: /^trader: --out .*\/missing\/report\.json cannot be written: its folder .*\/missing does not exist;/,
  },
  {
    what: '--out under a file',
    args: out('{tmp}/file/report.json'),
    setup: (tmp) => fs.writeFileSync(path.join(tmp, 'file'), 'x'),
    exit: 2,
    message: /cannot be written: .*\/file is not a folder;/,
  },
  {
    what: '--out a folder',
    args: out('{tmp}'),
    exit: 2,
    message: /^trader: --out .* is a folder; give a file in a folder you can write to\.$/,
  },
  {
    what: '--out a FIFO (writing would wait for a reader)',
    args: out('{tmp}/report.json'),
    setup: (tmp) => execFileSync('mkfifo', [path.join(tmp, 'report.json')]),
    exit: 2,
    message: /^trader: --out .*\/report\.json is not a regular file;/,
  },
  {
    what: '--out a device',
    args: out('/dev/null'),
    exit: 2,
    message: /^trader: --out \/dev\/null is not a regular file;/,
  },
];
