import fs from 'node:fs/promises';
import { TraderError, errorMessage } from './errors.ts';

/** Reads a user-named file, turning each way it can fail into one sentence that says what to do. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TraderError('NOT_FOUND', `File ${file} does not exist: check the path.`);
    if (code === 'EISDIR') throw new TraderError('BAD_INPUT', `${file} is a directory: give the path of a CSV file.`);
    throw new TraderError('BAD_INPUT', `Cannot read ${file} (${errorMessage(e)}): check its permissions.`);
  }
}
