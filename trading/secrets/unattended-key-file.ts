import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import { traderHome } from '../../store/open.ts';

/**
 * An unattended key file: what lets a process open ONE vault row (key-vault.ts) without
 * anyone typing the master PIN. It holds the AES key derived from the PIN for that row
 * (key-vault.ts derivedKeyOf), never the PIN: whoever reads the file can use that one key,
 * but cannot open any other key or do what needs the PIN. It is read only when its
 * permissions are exactly 0600 and it belongs to the user running trader.
 *
 * Each kind (the LIVE account's, the offsite backups') has its own format tag, so one
 * kind's file is never taken for another's, its own variable and default file name.
 */

export interface KeyFileKind {
  /** The document's format tag, e.g. `trader-live-key:v1`. */
  format: string;
  /** The environment variable that overrides the location. */
  envVar: 'TRADER_LIVE_KEY_FILE' | 'TRADER_OFFSITE_KEY_FILE';
  /** The default file name in TRADER_HOME. */
  fileName: string;
  /** The command that writes it, for the messages that say how to fix a file. */
  command: string;
}

const derivedKeyText = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);

const docOf = (kind: KeyFileKind) =>
  z.object({ format: z.literal(kind.format), key_name: z.string(), derived_key: derivedKeyText });

/** The kind's file: its variable when set, else `<TRADER_HOME>/<fileName>`. */
export function keyFileLocation(kind: KeyFileKind, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env[kind.envVar] || path.join(traderHome(env), kind.fileName));
}

/** Writes the file with 0600 from its first byte (a temporary file renamed into place). */
export function writeUnattendedKeyFile(kind: KeyFileKind, file: string, keyName: string, derivedKey: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const doc: z.infer<ReturnType<typeof docOf>> = {
    format: kind.format,
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
      `The key file ${file} could not be written (${(e as NodeJS.ErrnoException).code ?? 'error'}); set ${kind.envVar} to a path in a folder you own.`,
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
export function readUnattendedKeyFile(kind: KeyFileKind, file: string): KeyFileRead {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return {
      ok: false,
      reason: 'missing',
      message: `There is no key file at ${file}; write one with \`${kind.command}\` (or set ${kind.envVar}).`,
    };
  }
  const problem = permissionProblem(file, st);
  if (problem) return { ok: false, reason: 'permissions', message: `The key file is refused: ${problem}.` };
  const parsed = (() => {
    try {
      return docOf(kind).safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch {
      return undefined;
    }
  })();
  if (!parsed?.success)
    return {
      ok: false,
      reason: 'malformed',
      message: `The key file ${quote(file)} is not one \`${kind.command}\` wrote; write it again.`,
    };
  return { ok: true, key_name: parsed.data.key_name, derivedKey: Buffer.from(parsed.data.derived_key, 'base64') };
}
