import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { BackendKind, Db } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { openPgliteDb } from '../../store/pglite-db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { queueDrop, queuedDropsDone } from './drop-queue.ts';
import { openTemplateCopy, sharedTemplate, templateFile, type TemplateRef } from './templates.ts';

/** Integration tests run on both backends. */
export const backends: BackendKind[] = ['pglite', 'postgres'];

/** The local server's maintenance database; tests create one fresh database each from it. */
export const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDb extends Db {
  /** For Postgres, the URL of this test's own database (CLI tests pass it as DATABASE_URL). */
  url?: string;
  /** For PGlite, this test's own data directory (a copy of the migrated template). */
  dataDir?: string;
  /** For PGlite, closes without removing the data directory, to make a template of it. */
  closeKeepingFiles?: () => Promise<void>;
  dispose(): Promise<void>;
}

/** Creates an empty Postgres database of its own and returns its URL; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `trader_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { onnotice: () => {}, max: 1 });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  return {
    url: databaseUrl(name),
    drop: () => dropDatabase(name),
  };
}

/**
 * Drops a test database once nothing uses it any more: queued, the run's main process drops
 * it (helpers/drop-queue.ts). A test that made login roles drops them with dropRoles.
 */
export async function dropDatabase(name: string): Promise<void> {
  queueDrop(inject('scratchDir'), name);
}

/** Drops login roles a test made, once its databases are gone: their grants depend on the roles. */
export async function dropRoles(names: string[]): Promise<void> {
  await queuedDropsDone(inject('scratchDir'));
  const admin = postgres(adminUrl, { onnotice: () => {}, max: 1 });
  try {
    for (const name of names) await admin.unsafe(`drop role if exists ${name}`);
  } finally {
    await admin.end();
  }
}

/** The URL of a database on the local server. */
export function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * PGlite's initdb and the migrations cost about ten seconds of CPU, and every test file runs
 * in a process of its own: one migrated data directory per test run, copied by each test.
 */
function pgliteTemplate(): Promise<TemplateRef> {
  return sharedTemplate('pglite-migrated', async () => {
    const dataDir = templateFile('pglite-migrated');
    const db = await openPgliteDb({ dataDir });
    await migrate(db);
    await db.close();
    return { dataDir };
  });
}

/**
 * Running the migrations (every file of supabase/migrations) took about 1.1 s per
 * Postgres database on the loaded CI machine, `create database ... template` of a migrated
 * one about 0.65 s (measured), and suites make a fresh one for every test: one migrated
 * database per test run, copied by each test.
 */
function postgresTemplate(): Promise<TemplateRef> {
  return sharedTemplate('postgres-migrated', async () => {
    const { url } = await createPostgresDatabase();
    const db = await openPostgresDb(url);
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    return { database: new URL(url).pathname.slice(1) };
  });
}

/** The run's migrated template of the given kind (made once per test run, see above). */
export function migratedTemplate(kind: BackendKind): Promise<TemplateRef> {
  return kind === 'pglite' ? pgliteTemplate() : postgresTemplate();
}

/** A fresh database of the given kind, migrated unless `migrated: false`. */
export async function freshDb(kind: BackendKind, options: { migrated?: boolean } = {}): Promise<TestDb> {
  const migrated = options.migrated ?? true;
  if (kind === 'pglite') {
    if (migrated) return openTemplateCopy(await pgliteTemplate());
    const db = await openPgliteDb();
    return { ...db, dispose: () => db.close() };
  }
  if (migrated) return openTemplateCopy(await postgresTemplate());
  const { url, drop } = await createPostgresDatabase();
  const db = await openPostgresDb(url);
  return {
    ...db,
    url,
    dispose: async () => {
      await db.close();
      await drop();
    },
  };
}
