import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BadInput } from './row.ts';

/**
 * Folders and files a user points trader at: `TRADER_HOME` and `TRADER_LOG_DIR` that are
 * files, lie under a file or on /proc (a missing path there hung the CLI), and TLS files
 * that are no regular file. Each is one sentence, exit 2, before anything is created.
 */
const status = ['status'];
const aFile = (tmp: string) => fs.writeFileSync(path.join(tmp, 'file'), 'not a folder');

export const rows: BadInput[] = [
  {
    what: 'TRADER_HOME names a file',
    backends: ['pglite'],
    args: status,
    env: { TRADER_HOME: '{tmp}/file' },
    setup: aFile,
    exit: 2,
    message: /^trader: TRADER_HOME \(.*\/file\) is a file, not a folder; point it at a folder you can write to\.$/,
  },
  {
    what: 'TRADER_HOME under a file',
    backends: ['pglite'],
    args: status,
    env: { TRADER_HOME: '{tmp}/file/home' },
    setup: aFile,
    exit: 2,
    message: /^trader: TRADER_HOME \(.*\/file\/home\) lies under .*\/file, which is a file;/,
  },
  {
    what: 'TRADER_HOME=/proc',
    backends: ['pglite'],
    args: status,
    env: { TRADER_HOME: '/proc' },
    exit: 2,
    message: /^trader: TRADER_HOME \(\/proc\) is on the kernel's proc file system;/,
  },
  {
    what: 'TRADER_HOME a missing folder under /proc (hung)',
    backends: ['pglite'],
    args: status,
    env: { TRADER_HOME: '/proc/trader' },
    exit: 2,
    message: /^trader: TRADER_HOME \(\/proc\/trader\) is on the kernel's proc file system;/,
  },
  {
    what: 'TRADER_HOME under /sys',
    backends: ['pglite'],
    args: ['runs', 'list'],
    env: { TRADER_HOME: '/sys/trader' },
    exit: 2,
    message: /^trader: TRADER_HOME \(\/sys\/trader\) is on the kernel's sysfs file system;/,
  },
  {
    what: 'TRADER_LOG_DIR names a file',
    args: status,
    env: { TRADER_LOG_DIR: '{tmp}/file' },
    setup: aFile,
    exit: 2,
    message: /^trader: TRADER_LOG_DIR \(.*\/file\) is a file, not a folder;/,
  },
  {
    what: 'TRADER_LOG_DIR under a file',
    args: status,
    env: { TRADER_LOG_DIR: '{tmp}/file/logs' },
    setup: aFile,
    exit: 2,
    message: /^trader: TRADER_LOG_DIR \(.*\/file\/logs\) lies under .*\/file, which is a file;/,
  },
  {
    what: 'TRADER_LOG_DIR under /proc',
    args: status,
    env: { TRADER_LOG_DIR: '/proc/trader-logs' },
    exit: 2,
    message: /^trader: TRADER_LOG_DIR \(\/proc\/trader-logs\) is on the kernel's proc file system;/,
  },
  {
    what: 'serve --tls-cert a FIFO (hung before listening)',
    args: ['serve', '--port', '0', '--tls-cert', '{tmp}/cert.pem', '--tls-key', '{tmp}/cert.pem'],
    setup: (tmp) => execFileSync('mkfifo', [path.join(tmp, 'cert.pem')]),
    exit: 2,
    message: /^trader: The --tls-cert file .*cert\.pem is not a regular file; give the path of a PEM file\.$/,
  },
  {
    what: 'serve --tls-key a device that never ends',
    args: ['serve', '--port', '0', '--tls-cert', '/dev/zero', '--tls-key', '/dev/zero'],
    exit: 2,
    message: /^trader: The --tls-cert file \/dev\/zero is not a regular file/,
  },
  {
    what: 'serve --tls-cert a folder',
    args: ['serve', '--port', '0', '--tls-cert', '{tmp}', '--tls-key', '{tmp}'],
    exit: 2,
    message: /^trader: The --tls-cert file .* is not a regular file/,
  },
  {
    what: 'serve --session-hours 0',
    args: ['serve', '--port', '0', '--session-hours', '0'],
    exit: 2,
    message: /^trader: --session-hours is a number of hours above 0 and at most 720, not '0'\.$/,
  },
  {
    what: 'serve --session-hours a word',
    args: ['serve', '--port', '0', '--session-hours', 'long'],
    exit: 2,
    message: /^trader: --session-hours is a number of hours above 0 and at most 720, not 'long'\.$/,
  },
];
