import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import { traderHome } from '../../store/open.ts';

/**
 * The unattended key file: what `trader serve` and `trader schedule run` use to open the
 * LIVE account's API key without anyone typing the PIN. It holds the AES key derived from
 * the PIN for that one vault row (key-vault.ts derivedKeyOf), never the PIN: whoever reads
 * the file can trade with that key, but cannot enable leverage, accept a reconciliation or
 * open any other key. It is read only when its permissions are exactly 0600 and it belongs
 * to the user running trader. Location: TRADER_LIVE_KEY_FILE, else <TRADER_HOME>/live.key.
 */

const KeyFileDoc = z.object({
  format: z.literal('trader-live-key:v1'),
  key_name: z.string(),
  derived_key: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
});

export function keyFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.TRADER_LIVE_KEY_FILE || path.join(traderHome(env), 'live.key'));
}

/** Writes the file with 0600 from its first byte (a temporary file renamed into place). */
export function writeKeyFile(file: string, keyName: string, derivedKey: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const doc: z.infer<typeof KeyFileDoc> = {
    format: 'trader-live-key:v1',
    key_name: keyName,
    derived_key: derivedKey.toString('base64'),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(doc)}\n`, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new TraderError(
      'CONFIG_INVALID',
      `The key file ${file} could not be written (${(e as NodeJS.ErrnoException).code ?? 'error'}); set TRADER_LIVE_KEY_FILE to a path in a folder you own.`,
    );
  }
}

/** Why a key file may not be used, or undefined when its owner and permissions are right. */
function permissionProblem(file: string, st: fs.Stats): string | undefined {
  if (!st.isFile()) return `${file} is not a regular file`;
  const mode = st.mode & 0o777;
  if (mode !== 0o600)
    return `${file} has permissions ${mode.toString(8).padStart(4, '0')}, not 0600; run \`chmod 600 ${file}\``;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    return `${file} belongs to user id ${st.uid}, not to the user running trader (${process.getuid()})`;
  return undefined;
}

export type KeyFileRead =
  | { ok: true; key_name: string; derivedKey: Buffer }
  | { ok: false; reason: 'missing' | 'permissions' | 'malformed'; message: string };

/**
 * Reads the key file after checking it (lstat: a symlink is refused, since its target's
 * permissions are not what was checked). Never throws and never echoes the content.
 */
export function readKeyFile(file: string): KeyFileRead {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return {
      ok: false,
      reason: 'missing',
      message: `There is no key file at ${file}; write one with \`trader live key-file\` (or set TRADER_LIVE_KEY_FILE).`,
    };
  }
  const problem = permissionProblem(file, st);
  if (problem) return { ok: false, reason: 'permissions', message: `The key file is refused: ${problem}.` };
  const parsed = (() => {
    try {
      return KeyFileDoc.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch {
      return undefined;
    }
  })();
  if (!parsed?.success)
    return {
      ok: false,
      reason: 'malformed',
      message: `The key file ${quote(file)} is not one \`trader live key-file\` wrote; write it again.`,
    };
  return { ok: true, key_name: parsed.data.key_name, derivedKey: Buffer.from(parsed.data.derived_key, 'base64') };
}
