import { TraderError } from '../../core/errors.ts';
import { checkBackup, loadBackup } from '../../store/backup/read-backup.ts';
import type { BackupManifest } from '../../store/backup/write-backup.ts';
import type { Db } from '../../store/db.ts';
import { migrate, readMigrationFiles } from '../../store/migrate.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { verifyAuditTrail } from '../../trading/audit/audit-verify.ts';
import { rowTotal } from './backup.ts';

/**
 * `trader restore <file>`: the whole file is checked first (passphrase, every seal, every
 * count, its checksum), with nothing written. Then the target: it must be empty, or the
 * user says --force and confirms replacing everything in it; its schema must not be newer
 * than the backup's. It is migrated to the backup's schema version, loaded in one
 * transaction (counts and audit head compared before the commit), migrated the rest of the
 * way, and the audit chain verified end to end. The restore itself is the first row
 * appended to the restored trail (BACKUP_RESTORED).
 */

export interface RestoreDone {
  file: string;
  manifest: BackupManifest;
  forced: boolean;
  audit_rows_checked: number;
}

/** What the target holds of a user's history: none of it means empty (a restore's and `trader db move`'s rule). */
export async function occupancy(db: Db): Promise<{ versions: string[]; rows: Record<string, number> }> {
  const [ledger] = await db.query<{ present: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as present",
  );
  if (!ledger?.present) return { versions: [], rows: {} };
  const versions = (
    await db.query<{ version: string }>('select version from supabase_migrations.schema_migrations')
  ).map((r) => r.version);
  const rows: Record<string, number> = {};
  for (const t of ['audit_trail', 'pipeline_runs', 'candles', 'backtest_runs']) {
    const [present] = await db.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [`public.${t}`]);
    if (!present?.ok) continue;
    const [n] = await db.query<{ n: number }>(`select count(*)::int8 as n from ${t}`);
    if (Number(n!.n) > 0) rows[t] = Number(n!.n);
  }
  return { versions, rows };
}

export async function restoreBackup(
  db: Db,
  file: string,
  o: {
    passphrase: string;
    force?: boolean;
    confirm: (warning: string) => Promise<boolean>;
    /** What checkBackup returned for this file, when the caller checked it before opening the database. */
    checked?: BackupManifest;
  },
): Promise<RestoreDone> {
  const manifest = o.checked ?? (await checkBackup(file, o.passphrase));
  const known = readMigrationFiles().map((f) => f.version);
  if (!known.includes(manifest.schema_version))
    throw new TraderError(
      'BAD_INPUT',
      `The backup's schema (${manifest.schema_version}) is unknown to this trader, which knows up to ${known.at(-1)}; restore it with the version that wrote it, or a newer one.`,
    );
  const target = await occupancy(db);
  const newer = target.versions.filter((v) => v > manifest.schema_version).sort();
  if (newer.length > 0)
    throw new TraderError(
      'BAD_INPUT',
      `${db.location} is already at schema ${newer.at(-1)}, newer than the backup's ${manifest.schema_version}; restore into a new database (another TRADER_HOME or DATABASE_URL).`,
    );
  const held = Object.entries(target.rows).map(([t, n]) => `${n} ${t}`);
  if (held.length > 0) {
    if (!o.force)
      throw new TraderError(
        'BAD_INPUT',
        `${db.location} is not empty (${held.join(', ')}); restore into an empty database, or replace everything in it with --force.`,
      );
    const warning = `Replace EVERYTHING in ${db.location} (${held.join(', ')}) with the backup of ${manifest.created_at} (${rowTotal(manifest)} rows)? This cannot be undone.`;
    if (!(await o.confirm(warning)))
      throw new TraderError('BAD_INPUT', 'You did not confirm; the database was left as it was.');
  }
  await migrate(db, undefined, { upTo: manifest.schema_version });
  await loadBackup(db, file, o.passphrase, manifest);
  await migrate(db);
  const verified = await verifyAuditTrail(db);
  if (!verified.ok)
    throw new TraderError(
      'INTEGRITY',
      `The restored audit trail does not verify (${verified.problems[0]?.detail ?? 'broken chain'}); run \`trader audit verify\`.`,
    );
  await recordAudit(db, {
    mode: 'SYSTEM',
    actor: 'USER',
    action_type: 'BACKUP_RESTORED',
    status: 'SUCCESS',
    details: {
      file,
      created_at: manifest.created_at,
      source_backend: manifest.source_backend,
      schema_version: manifest.schema_version,
      rows: rowTotal(manifest),
      audit_head: manifest.audit_head,
      forced: held.length > 0,
    },
  });
  return { file, manifest, forced: held.length > 0, audit_rows_checked: verified.rows_checked };
}
