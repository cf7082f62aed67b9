import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrationStatus } from '../../store/migrate.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

function tempMigrations(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-mig-'));
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}

describe.each(backends)('migrations on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());

  it('applies the shipped migrations once, records them like Supabase, and is idempotent', async () => {
    db = await freshDb(kind, { migrated: false });
    const first = await migrate(db);
    expect(first.length).toBeGreaterThan(0);
    expect(await migrate(db)).toEqual([]);
    const rows = await db.query<{ version: string; statements: string[] }>(
      'select version, statements from supabase_migrations.schema_migrations order by version',
    );
    expect(rows.map((r) => r.version)).toEqual(first.map((m) => m.version));
    expect((await migrationStatus(db)).every((s) => s.state === 'applied')).toBe(true);
    const tables = await db.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'module_registry',
        'pipeline_config',
        'strategy_config',
        'asset_config',
        'risk_config',
        'pipeline_runs',
        'pipeline_log',
        'error_log',
        'instruments',
        'candles',
      ]),
    );
  });

  it('refuses to run when an applied file was edited, and applies nothing', async () => {
    db = await freshDb(kind, { migrated: false });
    const dir = tempMigrations({ '20250101000000_one.sql': 'create table one (id int);' });
    await migrate(db, dir);
    fs.writeFileSync(path.join(dir, '20250101000000_one.sql'), 'create table one (id bigint);');
    fs.writeFileSync(path.join(dir, '20250102000000_two.sql'), 'create table two (id int);');
    await expect(migrate(db, dir)).rejects.toThrow(/20250101000000_one\.sql was edited/);
    const two = await db.query("select 1 from information_schema.tables where table_name = 'two'");
    expect(two).toHaveLength(0);
    expect((await migrationStatus(db, dir)).map((s) => s.state)).toEqual(['edited', 'pending']);
  });

  it('treats whitespace and comment-only differences as unchanged (Supabase stores split statements)', async () => {
    db = await freshDb(kind, { migrated: false });
    const dir = tempMigrations({ '20250101000000_one.sql': 'create table one (id int);\ncreate table uno (id int);' });
    await migrate(db, dir);
    await db.query(
      "update supabase_migrations.schema_migrations set statements = array['create table one (id int)', 'create table uno (id int)']",
    );
    expect((await migrationStatus(db, dir))[0]!.state).toBe('applied');
  });

  it('rolls back a failing migration completely and records nothing', async () => {
    db = await freshDb(kind, { migrated: false });
    const dir = tempMigrations({ '20250101000000_bad.sql': 'create table half (id int);\nselect no_such_function();' });
    await expect(migrate(db, dir)).rejects.toThrow(/20250101000000_bad\.sql failed and was rolled back/);
    expect(await db.query("select 1 from information_schema.tables where table_name = 'half'")).toHaveLength(0);
    expect((await migrationStatus(db, dir))[0]!.state).toBe('pending');
  });

  it('rejects a badly named migration file with a clear error', async () => {
    db = await freshDb(kind, { migrated: false });
    const dir = tempMigrations({ 'add_stuff.sql': 'select 1;' });
    await expect(migrate(db, dir)).rejects.toThrow(/add_stuff\.sql is not named/);
  });
});
