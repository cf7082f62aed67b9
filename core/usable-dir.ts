import fs from 'node:fs';
import path from 'node:path';
import { TraderError } from './errors.ts';

/**
 * Kernel file systems no data or log belongs on. Node's recursive mkdir spins forever on a
 * missing path under /proc, so they are refused before anything tries to create a folder.
 */
const virtualFileSystems = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
]);

/** The path itself when it exists, else its nearest existing ancestor (where the folder would be created). */
function nearestExisting(dir: string): string {
  let at = dir;
  while (!fs.existsSync(at)) {
    const up = path.dirname(at);
    if (up === at) return at;
    at = up;
  }
  return at;
}

/**
 * Checks, without creating anything, that `dir` (named by `variable`) is a folder trader can
 * write in or create: not a file, not under a file, not read-only, not on /proc or /sys.
 * Each refusal is one sentence naming the variable (CONFIG_INVALID, exit 2).
 */
export function assertUsableDir(dir: string, variable: string): void {
  const fail = (why: string) =>
    new TraderError('CONFIG_INVALID', `${variable} (${dir}) ${why}; point it at a folder you can write to.`);
  const existing = nearestExisting(path.resolve(dir));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(existing);
  } catch {
    throw fail('cannot be read');
  }
  if (!stat.isDirectory())
    throw fail(existing === path.resolve(dir) ? 'is a file, not a folder' : `lies under ${existing}, which is a file`);
  const kind = virtualFileSystems.get(Number(fs.statfsSync(existing).type));
  if (kind !== undefined) throw fail(`is on the kernel's ${kind} file system`);
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw fail(existing === path.resolve(dir) ? 'is not writable' : `cannot be created: ${existing} is not writable`);
  }
}

/**
 * Checks, without writing, that `file` (named by `flag`) can be written as a regular file:
 * its folder exists, is writable and is no kernel file system, and the file, if it exists,
 * is a regular file (writing to a FIFO would block, a device or folder is no report).
 */
export function assertWritableFile(file: string, flag: string): void {
  const fail = (why: string) =>
    new TraderError('BAD_INPUT', `${flag} ${file} ${why}; give a file in a folder you can write to.`);
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const dirStat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!dirStat) throw fail(`cannot be written: its folder ${dir} does not exist`);
  if (!dirStat.isDirectory()) throw fail(`cannot be written: ${dir} is not a folder`);
  if (virtualFileSystems.has(Number(fs.statfsSync(dir).type))) throw fail(`is on a kernel file system`);
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat && !stat.isFile()) throw fail(stat.isDirectory() ? 'is a folder' : 'is not a regular file');
  try {
    fs.accessSync(stat ? target : dir, fs.constants.W_OK);
  } catch {
    throw fail('is not writable');
  }
}
