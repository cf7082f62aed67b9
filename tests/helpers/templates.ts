import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { openPgliteDb } from '../../store/pglite-db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { adminUrl, databaseUrl, dropDatabase, type TestDb } from './db.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder of this test run's shared templates (tests/global-setup.ts). */
    templatesDir: string;
    /** A folder of this test run's database copies, on a RAM file system when there is room (tests/global-setup.ts). */
    scratchDir: string;
  }
}

/** Where a template database lives: an embedded home (CLI), an embedded data directory (in process), or a Postgres database's name. */
export interface TemplateRef {
  home?: string;
  dataDir?: string;
  database?: string;
}

const POLL_MS = 250;
const WAIT_LIMIT_MS = 600_000;

/** A file of this run's templates folder. */
export const templateFile = (name: string) => path.join(inject('templatesDir'), name);

/** A new folder for a test's copy of a database (an embedded data directory or CLI home), removed by the test or at the end of the run. */
export const scratchCopyDir = (prefix: string) => fs.mkdtempSync(path.join(inject('scratchDir'), prefix));

/**
 * A database set up once per test run, by whichever test process needs it first (a lock
 * folder decides), and then copied by every test that asks: seeding the module pack with
 * its registration gates and importing a year of candles costs tens of seconds of CPU, a
 * copy well under one. The global teardown removes what the references point at.
 */
export async function sharedTemplate(key: string, build: () => Promise<TemplateRef>): Promise<TemplateRef> {
  const ready = templateFile(`${key}.json`);
  const failed = templateFile(`${key}.failed`);
  try {
    fs.mkdirSync(templateFile(`${key}.lock`));
  } catch {
    for (let waited = 0; waited < WAIT_LIMIT_MS; waited += POLL_MS) {
      if (fs.existsSync(ready)) return JSON.parse(fs.readFileSync(ready, 'utf8')) as TemplateRef;
      if (fs.existsSync(failed))
        throw new Error(`building the ${key} template failed: ${fs.readFileSync(failed, 'utf8')}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error(`the ${key} template was not built within ${WAIT_LIMIT_MS / 1000} s`);
  }
  let ref: TemplateRef;
  try {
    ref = await build();
  } catch (e) {
    fs.writeFileSync(failed, String(e));
    throw e;
  }
  fs.writeFileSync(`${ready}.tmp`, JSON.stringify(ref));
  fs.renameSync(`${ready}.tmp`, ready);
  return ref;
}

/** `create database ... template ...` fails while a just-exited CLI's backend is still going away: retry briefly. */
export async function cloneDatabase(template: string, copy: string): Promise<void> {
  const admin = postgres(adminUrl, { onnotice: () => {}, max: 1 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`create database ${copy} template ${template}`);
        return;
      } catch (e) {
        if (attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.end();
  }
}

/**
 * A database of its own, copied from a template: an embedded data directory copied and
 * opened (half the CPU of loading a dump into memory, measured), or `create database ... template`.
 */
export async function openTemplateCopy(ref: TemplateRef): Promise<TestDb> {
  if (ref.dataDir) {
    const dataDir = scratchCopyDir('db-');
    fs.cpSync(ref.dataDir, dataDir, { recursive: true });
    const db = await openPgliteDb({ dataDir });
    // Tests close it with either call; both remove the copy (tens of megabytes each).
    const close = async () => {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
    return { ...db, dataDir, close, dispose: close, closeKeepingFiles: () => db.close() };
  }
  const name = `trader_t_${randomBytes(6).toString('hex')}`;
  await cloneDatabase(ref.database!, name);
  const db = await openPostgresDb(databaseUrl(name));
  return {
    ...db,
    url: databaseUrl(name),
    dispose: async () => {
      await db.close();
      await dropDatabase(name);
    },
  };
}
