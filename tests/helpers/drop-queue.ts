import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';

/**
 * Dropping a test's Postgres database is slow and nothing waits for its result: DROP
 * DATABASE forces an immediate checkpoint and removes the files, 0.4 s to 3 s on the loaded
 * 2-core machine (measured), against 0.15 s to 0.5 s to create one from a template. So a
 * test only queues the drop (a file named after the database in this folder) and the run's
 * main process drops the queued databases, a few at a time, while the tests go on, and
 * the rest at the end of the run.
 */

const databaseName = /^[a-z_][a-z0-9_]*$/;
const POLL_MS = 250;

export const dropQueueDir = (scratchDir: string) => path.join(scratchDir, 'drops');

/** What this process queued and may not have seen dropped yet. */
const queuedHere = new Set<string>();

/** Queues `name` for dropping; the database must no longer be used (remaining sessions are ended). */
export function queueDrop(scratchDir: string, name: string): void {
  if (!databaseName.test(name)) throw new Error(`not a test database name: ${name}`);
  fs.writeFileSync(path.join(dropQueueDir(scratchDir), name), '');
  queuedHere.add(name);
}

/** Waits until every database this process queued is dropped (a role with grants in one cannot be dropped before). */
export async function queuedDropsDone(scratchDir: string): Promise<void> {
  for (;;) {
    for (const name of queuedHere)
      if (!fs.existsSync(path.join(dropQueueDir(scratchDir), name))) queuedHere.delete(name);
    if (queuedHere.size === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Drops queued databases until `drain` is called, which drops what is left and returns. */
export function startDropper(scratchDir: string, adminUrl: string): { drain: () => Promise<void> } {
  const queue = dropQueueDir(scratchDir);
  fs.mkdirSync(queue, { recursive: true });
  // postgres() connects on its first query: a run that uses no Postgres never connects. Drops
  // run a few at a time: concurrent ones share a checkpoint, so the queue keeps up with the tests.
  const lanes = 3;
  const admin = postgres(adminUrl, { onnotice: () => {}, max: lanes });
  let draining = false;
  const drop = async (name: string) => {
    try {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    } catch (e) {
      process.stderr.write(`tests: could not drop the test database ${name}: ${String(e)}\n`);
    }
    fs.rmSync(path.join(queue, name), { force: true });
  };
  const dropAll = async (): Promise<number> => {
    const names = fs.readdirSync(queue).filter((n) => databaseName.test(n));
    const next = [...names];
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let name = next.shift(); name; name = next.shift()) await drop(name);
      }),
    );
    return names.length;
  };
  const loop = (async () => {
    while (!draining) if ((await dropAll()) === 0) await new Promise((r) => setTimeout(r, POLL_MS));
    while ((await dropAll()) > 0);
  })();
  return {
    async drain() {
      draining = true;
      try {
        await loop;
      } finally {
        await admin.end();
      }
    },
  };
}
