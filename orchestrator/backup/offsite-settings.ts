import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import {
  deleteApiKey,
  findApiKey,
  insertSealedKey,
  loadApiKey,
  sealApiKey,
  type VaultUnlock,
} from '../../trading/secrets/key-vault.ts';
import { verifyPin } from '../../trading/secrets/pin.ts';
import { openBucket } from './offsite-bucket.ts';

/**
 * Where offsite copies go: a bucket (and a folder in it) of a Supabase project's Storage.
 * The project URL and the service-role key are one row of the key vault (`offsite`,
 * exchange `supabase`, encrypted under the master PIN): the URL is sealed with the key so
 * the key is only ever sent to the project it was stored for, even by someone who can
 * edit the database. Bucket and folder are a row of `offsite_storage` (not secret; shown
 * without the PIN). Storing is audited (BACKUP_OFFSITE_SET), never with the key.
 */

export const offsiteKeyName = 'offsite';
const offsiteExchange = 'supabase';

const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** A project URL: https (http only to this machine, e.g. a local `supabase start`), nothing but scheme, host and port. */
export const ProjectUrl = z.string().transform((raw, ctx) => {
  const url = URL.canParse(raw.trim()) ? new URL(raw.trim()) : undefined;
  const secure = url?.protocol === 'https:' || (url?.protocol === 'http:' && loopback.test(url.hostname));
  if (url && secure && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash)
    return url.origin;
  // The value is not echoed: a URL may carry a password.
  ctx.addIssue({
    code: 'custom',
    message:
      '--url must be a Supabase project URL like https://abcdefgh.supabase.co, with no user, path or query (http only to this machine)',
  });
  return z.NEVER;
});

export const BucketName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "a bucket name is letters, digits, '.', '-' and '_' (up to 100)");

/** A folder in the bucket: '' for its top level; outer slashes are dropped. */
export const FolderPrefix = z
  .string()
  .transform((p) => p.replace(/^\/+|\/+$/g, ''))
  .pipe(
    z
      .string()
      .max(200)
      .regex(
        /^$|^(?!\.\.?(\/|$))[A-Za-z0-9._-]+(\/(?!\.\.?(\/|$))[A-Za-z0-9._-]+)*$/,
        "a folder is names of letters, digits, '.', '-' and '_' joined by '/' (no '.' or '..')",
      ),
  );

export const OffsitePlace = z.object({ bucket: BucketName, prefix: FolderPrefix });
export type OffsitePlace = z.infer<typeof OffsitePlace>;

export const OffsiteSettings = OffsitePlace.extend({ url: ProjectUrl });
export type OffsiteSettings = z.infer<typeof OffsiteSettings>;

/** Everything a Storage client needs; the service key stays in memory, in this object only. */
export interface OffsiteTarget extends OffsiteSettings {
  serviceKey: string;
}

/** Checks flags before anything is asked: one sentence naming the first bad one. */
export function parseOffsiteSettings(input: { url: string; bucket: string; prefix?: string }): OffsiteSettings {
  const parsed = OffsiteSettings.safeParse({ ...input, prefix: input.prefix ?? '' });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const flag = String(issue.path[0]);
  if (flag === 'url') throw new TraderError('BAD_INPUT', `${issue.message}.`);
  const value = flag === 'bucket' ? input.bucket : input.prefix;
  throw new TraderError('BAD_INPUT', `--${flag} ${quote(value)} is not usable: ${issue.message}.`);
}

export async function readOffsitePlace(q: Queryable): Promise<OffsitePlace | undefined> {
  return (await queryRows(q, OffsitePlace, 'select bucket, prefix from offsite_storage where id = 1'))[0];
}

export const notConfigured = () =>
  new TraderError(
    'CONFIG_INVALID',
    'No offsite storage is set up; run `trader backup offsite set --url <project URL> --bucket <bucket>` first.',
  );

/** Refuses before any question when the vault's `offsite` name belongs to another key. */
export async function assertOffsiteNameFree(q: Queryable): Promise<void> {
  const row = await findApiKey(q, offsiteKeyName);
  if (row && row.exchange !== offsiteExchange)
    throw new TraderError(
      'CONFIG_INVALID',
      `The key vault already holds an API key named ${quote(offsiteKeyName)} for ${row.exchange}; rename it (remove and add it under another name) so the offsite service key can use that name.`,
    );
}

/**
 * Verifies the PIN and that the bucket can be listed with the key, then stores (or
 * replaces) the URL and service key in the vault and the bucket and folder in
 * offsite_storage, in one transaction.
 */
export async function saveOffsiteSettings(
  db: Db,
  pin: string,
  settings: OffsiteSettings,
  serviceKey: string,
): Promise<void> {
  await assertOffsiteNameFree(db);
  await verifyPin(db, pin, 'store the offsite storage key');
  // A typo in the URL, bucket or key shows now rather than at the first backup: one listing first.
  await openBucket({ ...settings, serviceKey }).list();
  const sealed = await sealApiKey(pin, {
    name: offsiteKeyName,
    exchange: offsiteExchange,
    apiKey: settings.url,
    secret: serviceKey,
  });
  await db.transaction(async (tx) => {
    if (await findApiKey(tx, offsiteKeyName)) await deleteApiKey(tx, offsiteKeyName);
    await insertSealedKey(tx, sealed);
    await tx.query(
      `insert into offsite_storage (id, bucket, prefix) values (1, $1, $2)
       on conflict (id) do update set bucket = excluded.bucket, prefix = excluded.prefix, updated_at = now()`,
      [settings.bucket, settings.prefix],
    );
    await recordAudit(tx, {
      mode: 'SYSTEM',
      actor: 'USER',
      action_type: 'BACKUP_OFFSITE_SET',
      status: 'SUCCESS',
      details: { ...settings },
    });
  });
}

/**
 * Opens the vault row with the (verified) PIN or an unattended key file's derived key and
 * returns the whole target. `keyFileCommand` names the fix when a key file does not open it.
 */
export async function openOffsite(
  db: Db,
  unlock: VaultUnlock,
  o: { via: 'pin' | 'key_file'; keyFileCommand: string },
): Promise<OffsiteTarget> {
  const place = await readOffsitePlace(db);
  if (!place || !(await findApiKey(db, offsiteKeyName))) throw notConfigured();
  const stored = await loadApiKey(db, unlock, offsiteKeyName, o);
  const url = ProjectUrl.safeParse(stored.apiKey);
  if (stored.exchange !== offsiteExchange || !url.success)
    throw new TraderError(
      'CONFIG_INVALID',
      `The vault's ${quote(offsiteKeyName)} key is not an offsite storage key; store it again with \`trader backup offsite set\`.`,
    );
  return { ...place, url: url.data, serviceKey: stored.secret };
}
