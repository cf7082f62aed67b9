import { TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { askVerifiedPin, type Ask } from '../governance/user-action.ts';
import { type SystemMode, tradingScope, tradingTx } from '../scope.ts';
import { type ApiCredentials, derivedKeyOf, loadApiKey, type VaultUnlock } from '../secrets/key-vault.ts';
import { loadState } from '../state-repo.ts';
import { keyFilePath, readKeyFile, writeKeyFile } from './key-file.ts';
import { type LiveAccount, loadLiveAccount, noLiveAccount } from './live-account-repo.ts';

/**
 * Opening the LIVE account's API key: with the master PIN (interactive commands) or the
 * unattended key file (serve, schedule run). Every unlock, and every refused one, writes
 * an audit row (LIVE_KEYS_UNLOCKED). The decrypted key lives in this process's memory
 * only (`heldLiveKeys`), is never written anywhere and never logged.
 */

export interface LiveKeys {
  account: LiveAccount;
  credentials: ApiCredentials;
  via: 'pin' | 'key_file';
}

const live = tradingScope('LIVE');
let held: LiveKeys | undefined;

/** The LIVE keys this process unlocked, if any: what the live broker signs its requests with. */
export function heldLiveKeys(): LiveKeys | undefined {
  return held;
}

/** Drops the held keys (tests, and a process that stops trading). */
export function forgetLiveKeys(): void {
  held = undefined;
}

async function requireAccount(db: Db): Promise<LiveAccount> {
  const account = await tradingTx(db, live, loadLiveAccount);
  if (!account) throw noLiveAccount();
  return account;
}

async function auditUnlock(
  db: Db,
  o: { status: 'SUCCESS' | 'FAILURE'; via: LiveKeys['via']; account: LiveAccount; details?: Record<string, unknown> },
): Promise<void> {
  await tradingTx(db, live, (tx) =>
    recordAudit(tx, {
      mode: 'LIVE',
      actor: o.via === 'pin' ? 'USER' : 'SYSTEM',
      action_type: 'LIVE_KEYS_UNLOCKED',
      status: o.status,
      details: { via: o.via, exchange: o.account.exchange, key_name: o.account.key_name, ...o.details },
      entity_type: 'live_account',
      entity_id: o.account.exchange,
    }),
  );
}

async function unlock(db: Db, account: LiveAccount, how: VaultUnlock, via: LiveKeys['via']): Promise<LiveKeys> {
  let credentials: ApiCredentials;
  try {
    credentials = await loadApiKey(db, how, account.key_name, { via });
  } catch (e) {
    if (e instanceof TraderError)
      await auditUnlock(db, { status: 'FAILURE', via, account, details: { reason: e.code } });
    throw e;
  }
  await auditUnlock(db, { status: 'SUCCESS', via, account });
  held = { account, credentials, via };
  return held;
}

/** Interactive: asks the master PIN, verifies it, opens the key. */
export async function unlockWithPin(db: Db, ask: Pick<Ask, 'pin'>): Promise<LiveKeys> {
  const account = await requireAccount(db);
  let pin = '';
  await askVerifiedPin(db, { pin: async () => (pin = await ask.pin()) }, 'unlock LIVE keys');
  return unlock(db, account, { pin }, 'pin');
}

/** Unattended: opens the key with the key file, after checking its owner and 0600 permissions. */
export async function unlockWithKeyFile(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<LiveKeys> {
  const account = await requireAccount(db);
  const file = keyFilePath(env);
  const read = readKeyFile(file);
  if (!read.ok) {
    await auditUnlock(db, { status: 'FAILURE', via: 'key_file', account, details: { reason: read.reason, file } });
    throw new TraderError('CONFIG_INVALID', read.message);
  }
  if (read.key_name !== account.key_name) {
    await auditUnlock(db, { status: 'FAILURE', via: 'key_file', account, details: { reason: 'other_key', file } });
    throw new TraderError(
      'CONFIG_INVALID',
      `The key file ${file} opens another key than the LIVE account's; write it again with \`trader live key-file\`.`,
    );
  }
  return unlock(db, account, { derivedKey: read.derivedKey }, 'key_file');
}

/**
 * Writes the key file for the current LIVE account after the master PIN. Checks that the
 * derived key opens the vault row before writing, and audits the write (not the content).
 */
export async function createKeyFile(
  db: Db,
  ask: Pick<Ask, 'pin'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ file: string; account: LiveAccount }> {
  const account = await requireAccount(db);
  let pin = '';
  await askVerifiedPin(db, { pin: async () => (pin = await ask.pin()) }, 'write the LIVE key file');
  const derivedKey = await derivedKeyOf(db, pin, account.key_name);
  await loadApiKey(db, { derivedKey }, account.key_name, { via: 'key_file_check' });
  const file = keyFilePath(env);
  writeKeyFile(file, account.key_name, derivedKey);
  await tradingTx(db, live, (tx) =>
    recordAudit(tx, {
      mode: 'LIVE',
      actor: 'USER',
      action_type: 'LIVE_KEY_FILE_WRITTEN',
      status: 'SUCCESS',
      details: { file, exchange: account.exchange, key_name: account.key_name },
      entity_type: 'live_account',
      entity_id: account.exchange,
    }),
  );
  return { file, account };
}

/**
 * What serve and schedule run do at start: in LIVE with an account, open its key with the
 * key file (refusing to start when it cannot); in TEST, or LIVE without an account, nothing.
 */
export async function unlockForService(
  db: Db,
  mode: SystemMode,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LiveKeys | undefined> {
  if (mode !== 'LIVE') return undefined;
  if (!(await tradingTx(db, live, loadLiveAccount))) return undefined;
  return unlockWithKeyFile(db, env);
}

/**
 * Interactive commands that may trade LIVE (`trader run`, `trader proposals approve`): in
 * LIVE with an account and a mode that proposes or executes, asks the master PIN once
 * unless this process holds the keys already. TEST, LIVE without an account, and LIVE in
 * observe ask nothing. `everyTime` asks even while the keys are held: the dashboard's
 * server opened them with its key file, but the person at the browser must still know the PIN.
 */
export async function unlockIfLive(
  db: Db,
  mode: SystemMode,
  ask: Pick<Ask, 'pin'>,
  o: { everyTime?: boolean } = {},
): Promise<void> {
  if (mode !== 'LIVE' || (held && !o.everyTime)) return;
  const { account, state } = await tradingTx(db, live, async (tx) => ({
    account: await loadLiveAccount(tx),
    state: await loadState(tx, live),
  }));
  if (!account || state.operational_mode === 'observe') return;
  await unlockWithPin(db, ask);
}
