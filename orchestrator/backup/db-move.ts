import { TraderError, toTraderError } from '../../core/errors.ts';
import { copyDatabase } from '../../store/backup/copy-database.ts';
import type { LoadExpectation, TriggerSwitch } from '../../store/backup/load-tables.ts';
import { backupTables, tableCounts } from '../../store/backup/table-rows.ts';
import type { Db } from '../../store/db.ts';
import { migrate, readMigrationFiles } from '../../store/migrate.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { verifyAuditTrail } from '../../trading/audit/audit-verify.ts';
import { assertLoginRolesPossible, ensureLoginRoles, type LoginRoleResult } from '../../trading/login-roles.ts';
import type { SystemMode } from '../../trading/scope.ts';
import { assertMoveTarget, openMoveTarget } from './move-target.ts';

/**
 * `trader db move --to <url>`: the installation trader uses now (normally the embedded
 * database) moved onto a Postgres server, verified as a restore is. Everything that can
 * refuse does so before anything is written, in one sentence: the source shared with another
 * process (what it writes after the snapshot would stay behind), a source schema this trader
 * does not know, the target (move-target.ts), a user who may not create the login roles, a
 * declined confirmation. Then the target is migrated, the rows copied from one snapshot in one
 * transaction (store/backup/copy-database.ts: counts and audit head compared before the
 * commit), its audit chain verified end to end, the move audited as DB_MOVED in both
 * databases, and the least-privilege login roles created there (`trader db roles`). The
 * source is left in place: it is never deleted.
 */

export interface MoveOptions {
  /** The target's URL, as targetUrl() accepted it. */
  to: string;
  /** The login roles to create on the target. */
  logins: Record<SystemMode, string>;
  /** Asked once the target passed its checks and before anything is written; false refuses. */
  confirm: (question: string) => Promise<boolean>;
}

export interface MoveDone {
  /** Both without a password. */
  from: string;
  to: string;
  tables: number;
  rows: number;
  audit_head: LoadExpectation['audit_head'];
  audit_rows_checked: number;
  triggers: TriggerSwitch;
  roles: LoginRoleResult[];
}

/** A client of another process's socket sees only a share of the embedded database: that process keeps writing to it. */
function assertSourceHeld(source: Db): void {
  if (source.kind === 'pglite' && !('pglite' in source))
    throw new TraderError(
      'LOCKED',
      `The embedded database is held by another process, so this command reaches it as ${source.location}; stop trader serve and trader schedule run first, so nothing is written after the move's snapshot. Nothing was moved.`,
    );
}

/** A source migrated by a newer trader has tables or columns this one would not create on the target. */
async function assertSourceSchemaKnown(source: Db): Promise<void> {
  const known = new Set(readMigrationFiles().map((f) => f.version));
  const applied = await source.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
  const newer = applied.map((r) => r.version).filter((v) => !known.has(v));
  if (newer.length > 0)
    throw new TraderError(
      'CONFIG_INVALID',
      `The database has migrations this trader does not know (${newer.join(', ')}); move it with the trader version that applied them. Nothing was moved.`,
    );
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, n) => a + n, 0);

export async function moveDatabase(source: Db, o: MoveOptions): Promise<MoveDone> {
  assertSourceHeld(source);
  await assertSourceSchemaKnown(source);
  const target = await openMoveTarget(o.to);
  try {
    await assertMoveTarget(source, target);
    await assertLoginRolesPossible(target, o.logins);
    const counts = await tableCounts(source, await backupTables(source));
    const question = `Move ${total(counts)} rows in ${Object.keys(counts).length} tables from ${source.location} to ${target.location}? The source stays where it is.`;
    if (!(await o.confirm(question))) throw new TraderError('BAD_INPUT', 'You did not confirm; nothing was moved.');

    await migrate(target);
    const copied = await copyDatabase(source, target);
    const verified = await verifyAuditTrail(target);
    if (!verified.ok)
      throw new TraderError(
        'INTEGRITY',
        `The moved audit trail does not verify on ${target.location} (${verified.problems[0]?.detail ?? 'broken chain'}); keep using ${source.location} and run \`trader audit verify\` there.`,
      );
    const moved = {
      from: source.location,
      to: target.location,
      tables: Object.keys(copied.tables).length,
      rows: total(copied.tables),
      audit_head: copied.audit_head,
      triggers: copied.triggers,
    };
    for (const db of [target, source])
      await recordAudit(db, {
        mode: 'SYSTEM',
        actor: 'USER',
        action_type: 'DB_MOVED',
        status: 'SUCCESS',
        details: moved,
      });
    return {
      ...moved,
      audit_rows_checked: verified.rows_checked,
      roles: await createLoginRoles(target, o.logins, moved.rows),
    };
  } finally {
    await target.close();
  }
}

/** The login roles, last: the move itself is done and audited whether or not the server lets them be made. */
async function createLoginRoles(
  target: Db,
  names: Record<SystemMode, string>,
  rows: number,
): Promise<LoginRoleResult[]> {
  try {
    return await ensureLoginRoles(target, { names, resetPasswords: false });
  } catch (e) {
    const err = toTraderError(e);
    throw new TraderError(
      err.code,
      `${rows} rows were moved to ${target.location} and verified, but its login roles were not created: ${err.message}`,
    );
  }
}
