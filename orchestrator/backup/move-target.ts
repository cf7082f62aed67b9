import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import { backupTables } from '../../store/backup/table-rows.ts';
import type { Db } from '../../store/db.ts';
import { readMigrationFiles } from '../../store/migrate.ts';
import { openPostgresDb, redactUrl } from '../../store/postgres-db.ts';
import { occupancy } from './restore.ts';

/**
 * The target of `trader db move`, checked before anything is written to it: a postgres://
 * URL, a server that answers and is new enough, another database than the one trader uses
 * now, and empty. Every message names the target by its URL without the password.
 */

/** The oldest server trader's migrations run on: the least-privilege one uses xid8 and pg_current_xact_id(), new in Postgres 13. */
export const oldestServer = { num: 130000, name: '13' };

/** `--to` as given, once it is a postgres:// URL. */
export function targetUrl(raw: string): string {
  try {
    new URL(raw);
  } catch {
    // Nothing of it is quoted: it may hold a password that only redactUrl() could mask.
    throw new TraderError('BAD_INPUT', '--to is not a URL; give one like postgres://user@host:5432/database.');
  }
  if (!/^postgres(ql)?:\/\//.test(raw))
    throw new TraderError(
      'BAD_INPUT',
      `--to must be a postgres:// URL like postgres://user@host:5432/database, not ${quote(redactUrl(raw))}.`,
    );
  return raw;
}

/** Connects to the target; a server that does not answer (or refuses the login) is one sentence naming it. */
export const openMoveTarget = (url: string): Promise<Db> =>
  openPostgresDb(
    url,
    (location, reason) =>
      `Cannot reach the target database ${location} (${reason}); check --to and that the server is running. Nothing was moved.`,
  );

export function assertServerVersion(num: number, shown: string, location: string): void {
  if (num < oldestServer.num)
    throw new TraderError(
      'CONFIG_INVALID',
      `${location} runs Postgres ${shown}, and trader needs ${oldestServer.name} or newer; move to a newer server. Nothing was moved.`,
    );
}

/** The server's identity and the database's name: equal for two URLs of one database, whatever host name they use. */
async function databaseIdentity(db: Db): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    "select system_identifier::text || '/' || current_database() as id from pg_control_system()",
  );
  return row!.id;
}

const listed = (names: string[]) =>
  names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');

/** What in the target the move would replace: a user's history, tables trader does not own, or a newer trader's schema. */
async function targetHoldings(source: Db, target: Db): Promise<string[]> {
  const held = await occupancy(target);
  const known = new Set(readMigrationFiles().map((f) => f.version));
  const newer = held.versions.filter((v) => !known.has(v));
  const ours = new Set((await backupTables(source)).map((t) => t.name));
  const foreign = (await backupTables(target)).map((t) => t.name).filter((name) => !ours.has(name));
  return [
    Object.entries(held.rows)
      .map(([table, n]) => `${n} ${table}`)
      .join(', '),
    foreign.length > 0 ? `tables trader does not own: ${listed(foreign)}` : '',
    newer.length > 0 ? `migrations this trader does not know: ${listed(newer)}` : '',
  ].filter((what) => what !== '');
}

/** Refuses, in one sentence and before anything is written, a target the move must not go into. */
export async function assertMoveTarget(source: Db, target: Db): Promise<void> {
  const [server] = await target.query<{ num: number; shown: string }>(
    "select current_setting('server_version_num')::int4 as num, split_part(current_setting('server_version'), ' ', 1) as shown",
  );
  assertServerVersion(server!.num, server!.shown, target.location);
  if ((await databaseIdentity(source)) === (await databaseIdentity(target)))
    throw new TraderError(
      'BAD_INPUT',
      `--to names the database trader is using now (${source.location}); give the URL of another, empty database.`,
    );
  const holdings = await targetHoldings(source, target);
  if (holdings.length > 0)
    throw new TraderError(
      'BAD_INPUT',
      `${target.location} is not empty (${holdings.join('; ')}); move into a new, empty database, since a move replaces everything in it. Nothing was moved.`,
    );
}
