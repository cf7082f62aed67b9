import {
  type KeyFileKind,
  type KeyFileRead,
  keyFileLocation,
  readUnattendedKeyFile,
  writeUnattendedKeyFile,
} from '../secrets/unattended-key-file.ts';

/**
 * The LIVE account's unattended key file (trading/secrets/unattended-key-file.ts): what
 * `trader serve` and `trader schedule run` open the LIVE account's API key with. Whoever
 * reads it can trade with that key, but cannot enable leverage, accept a reconciliation or
 * open any other key. Location: TRADER_LIVE_KEY_FILE, else <TRADER_HOME>/live.key.
 */

const liveKeyFile: KeyFileKind = {
  format: 'trader-live-key:v1',
  envVar: 'TRADER_LIVE_KEY_FILE',
  fileName: 'live.key',
  command: 'trader live key-file',
};

export const keyFilePath = (env: NodeJS.ProcessEnv = process.env): string => keyFileLocation(liveKeyFile, env);

export const writeKeyFile = (file: string, keyName: string, derivedKey: Buffer): void =>
  writeUnattendedKeyFile(liveKeyFile, file, keyName, derivedKey);

export const readKeyFile = (file: string): KeyFileRead => readUnattendedKeyFile(liveKeyFile, file);
