import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import { TraderError, errorMessage } from './errors.ts';
import { pathText } from './quote.ts';

/**
 * Reads a user-named file, turning each way it can fail into one sentence that says what
 * to do. Only a regular file is read: a FIFO would block until some writer appears, a
 * device such as /dev/zero never ends. It is opened without blocking and its type checked
 * on the open handle, so nothing can swap the file in between.
 */
export async function readTextFile(file: string, expected = 'a CSV file'): Promise<string> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const kind = kindOf(await handle.stat());
    if (kind === 'a directory') throw directory(file, expected);
    if (kind !== 'a file')
      throw new TraderError(
        'BAD_INPUT',
        `${pathText(file)} is ${kind}, not a regular file: give the path of ${expected}.`,
      );
    return await handle.readFile('utf8');
  } catch (e) {
    if (e instanceof TraderError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TraderError('NOT_FOUND', `File ${pathText(file)} does not exist: check the path.`);
    if (code === 'EISDIR') throw directory(file, expected);
    throw new TraderError(
      'BAD_INPUT',
      `Cannot read ${pathText(file)} (${pathText(errorMessage(e))}): check its permissions.`,
    );
  } finally {
    await handle?.close();
  }
}

const directory = (file: string, expected: string) =>
  new TraderError('BAD_INPUT', `${pathText(file)} is a directory: give the path of ${expected}.`);

function kindOf(s: Stats): string {
  if (s.isFile()) return 'a file';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  return 'something else';
}
