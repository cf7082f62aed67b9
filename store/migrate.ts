import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { migrationsDir } from '../core/paths.ts';
import { type Db, queryRows } from './db.ts';

/**
 * Applies `supabase/migrations/<timestamp>_<name>.sql` in order and records them in
 * `supabase_migrations.schema_migrations`, the table the Supabase CLI uses, so the same
 * folder works with `supabase db push` and with this runner on PGlite.
 */
const fileNamePattern = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface MigrationFile {
  version: string;
  name: string;
  file: string;
  sql: string;
}

export const MigrationState = z.enum(['applied', 'pending', 'edited', 'file_missing']);
export type MigrationState = z.infer<typeof MigrationState>;

export interface MigrationStatus {
  version: string;
  name: string;
  state: MigrationState;
}

const AppliedRow = z.object({
  version: z.string(),
  name: z.string().nullable(),
  statements: z.array(z.string()).nullable(),
});

export function readMigrationFiles(dir = migrationsDir): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = fileNamePattern.exec(file);
      if (!match) {
        throw new TraderError(
          'CONFIG_INVALID',
          `Migration file ${file} is not named <14-digit timestamp>_<name>.sql; rename it.`,
        );
      }
      return { version: match[1]!, name: match[2]!, file, sql: fs.readFileSync(path.join(dir, file), 'utf8') };
    });
}

/**
 * Comments, whitespace and semicolons removed, so a file applied by the Supabase CLI
 * (which stores it split into statements) compares equal to the same file unsplit.
 */
function normalizeSql(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/--[^\n]*/g, '')
    .replace(/[\s;]+/g, '');
}

export function sqlFingerprint(sql: string): string {
  return createHash('sha256').update(normalizeSql(sql)).digest('hex');
}

async function ensureMigrationsTable(db: Db): Promise<void> {
  await db.exec(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (
      version text primary key,
      statements text[],
      name text
    );`);
}

export async function migrationStatus(db: Db, dir = migrationsDir): Promise<MigrationStatus[]> {
  await ensureMigrationsTable(db);
  const files = readMigrationFiles(dir);
  const applied = await queryRows(
    db,
    AppliedRow,
    'select version, name, statements from supabase_migrations.schema_migrations order by version',
  );
  const byVersion = new Map(applied.map((row) => [row.version, row]));
  const status: MigrationStatus[] = files.map((f) => {
    const row = byVersion.get(f.version);
    if (!row) return { version: f.version, name: f.name, state: 'pending' };
    const same = sqlFingerprint((row.statements ?? []).join('\n')) === sqlFingerprint(f.sql);
    return { version: f.version, name: f.name, state: same ? 'applied' : 'edited' };
  });
  const fileVersions = new Set(files.map((f) => f.version));
  for (const row of applied) {
    if (!fileVersions.has(row.version))
      status.push({ version: row.version, name: row.name ?? '', state: 'file_missing' });
  }
  return status.sort((a, b) => a.version.localeCompare(b.version));
}

/**
 * Applies every pending file (with `upTo`, those up to that version only: a restore loads a
 * backup into its own schema version, then migrates the rest), each in its own transaction.
 * Refuses all work if an applied file was edited.
 */
export async function migrate(db: Db, dir = migrationsDir, o: { upTo?: string } = {}): Promise<MigrationStatus[]> {
  const status = await migrationStatus(db, dir);
  const edited = status.filter((s) => s.state === 'edited');
  if (edited.length > 0) {
    const names = edited.map((s) => `${s.version}_${s.name}.sql`).join(', ');
    throw new TraderError(
      'CONFIG_INVALID',
      `Already-applied migration ${names} was edited; restore the applied version and put the change in a new migration file.`,
    );
  }
  const files = new Map(readMigrationFiles(dir).map((f) => [f.version, f]));
  const appliedNow: MigrationStatus[] = [];
  for (const s of status.filter((x) => x.state === 'pending' && (o.upTo === undefined || x.version <= o.upTo))) {
    const file = files.get(s.version)!;
    await db.transaction(async (tx) => {
      try {
        await tx.exec(file.sql);
      } catch (e) {
        throw new TraderError(
          'CONFIG_INVALID',
          `Migration ${file.file} failed and was rolled back: ${(e as Error).message}.`,
        );
      }
      await tx.query(
        'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
        [file.version, file.name, [file.sql]],
      );
    });
    appliedNow.push({ ...s, state: 'applied' });
  }
  return appliedNow;
}

/** Refuses to work on a database that lacks shipped migrations, with the command that fixes it. Read-only. */
export async function assertMigrated(db: Db, dir = migrationsDir): Promise<void> {
  const [table] = await db.query<{ present: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as present",
  );
  const applied = table?.present
    ? new Set(
        (await db.query<{ version: string }>('select version from supabase_migrations.schema_migrations')).map(
          (r) => r.version,
        ),
      )
    : new Set<string>();
  const pending = readMigrationFiles(dir).filter((f) => !applied.has(f.version));
  if (pending.length > 0) {
    throw new TraderError(
      'CONFIG_INVALID',
      `The database at ${db.location} lacks ${pending.length} migration(s) (${pending.map((f) => f.file).join(', ')}); run \`trader db migrate\` first.`,
    );
  }
}
