import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { derivedKeyOf, loadApiKey } from '../../trading/secrets/key-vault.ts';
import {
  type KeyFileKind,
  keyFileLocation,
  readUnattendedKeyFile,
  writeUnattendedKeyFile,
} from '../../trading/secrets/unattended-key-file.ts';
import {
  notConfigured,
  offsiteKeyName,
  openOffsite,
  readOffsitePlace,
  type OffsiteTarget,
} from './offsite-settings.ts';

/**
 * The offsite key file: what lets a scheduled `backup --offsite` open the vault's `offsite`
 * row (the Storage service key) without anyone typing the PIN. It opens that one row only,
 * never the PIN, the LIVE key or any other (trading/secrets/unattended-key-file.ts).
 * Location: TRADER_OFFSITE_KEY_FILE, else <TRADER_HOME>/offsite.key.
 */

export const offsiteKeyFile: KeyFileKind = {
  format: 'trader-offsite-key:v1',
  envVar: 'TRADER_OFFSITE_KEY_FILE',
  fileName: 'offsite.key',
  command: 'trader backup offsite key-file',
};

const opened = { keyFileCommand: offsiteKeyFile.command };

/** Writes the key file after the (verified) PIN; checks that it opens the row before writing, and audits the write. */
export async function writeOffsiteKeyFile(db: Db, pin: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (!(await readOffsitePlace(db))) throw notConfigured();
  const derivedKey = await derivedKeyOf(db, pin, offsiteKeyName);
  await loadApiKey(db, { derivedKey }, offsiteKeyName, { via: 'key_file_check', ...opened });
  const file = keyFileLocation(offsiteKeyFile, env);
  writeUnattendedKeyFile(offsiteKeyFile, file, offsiteKeyName, derivedKey);
  await recordAudit(db, {
    mode: 'SYSTEM',
    actor: 'USER',
    action_type: 'BACKUP_OFFSITE_KEY_FILE_WRITTEN',
    status: 'SUCCESS',
    details: { file },
  });
  return file;
}

/** Whether the key file is there and usable (its owner and 0600), so a command can skip the PIN. */
export const offsiteKeyFileReady = (env: NodeJS.ProcessEnv = process.env): boolean =>
  readUnattendedKeyFile(offsiteKeyFile, keyFileLocation(offsiteKeyFile, env)).ok;

/** Unattended: the whole target, opened with the key file; a missing or refused file is one sentence. */
export async function openOffsiteWithKeyFile(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<OffsiteTarget> {
  const file = keyFileLocation(offsiteKeyFile, env);
  const read = readUnattendedKeyFile(offsiteKeyFile, file);
  // The format tag keeps another kind's file out; a derived key of another row does not decrypt this one.
  if (!read.ok) throw new TraderError('CONFIG_INVALID', read.message);
  return openOffsite(db, { derivedKey: read.derivedKey }, { via: 'key_file', ...opened });
}

/** Interactive: the whole target, opened with the master PIN the caller has verified. */
export const openOffsiteWithPin = (db: Db, pin: string): Promise<OffsiteTarget> =>
  openOffsite(db, { pin }, { via: 'pin', ...opened });
