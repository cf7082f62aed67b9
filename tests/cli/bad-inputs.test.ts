import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../store/db.ts';
import { openPgliteDb } from '../../store/pglite-db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import type { BadInput } from './bad-inputs/row.ts';
import { type CliBackend, expectCleanError, spawnTrader, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

/**
 * The table of bad inputs: every row through the real bin against a prepared database
 * (migrated, seeded, the BTC and ETH samples imported). Each row must answer with its
 * documented exit code and one sentence, within the time limit (a hang fails), and no row
 * may write anything: every table's row count is the same after the whole table as before.
 */
const rowsDir = path.join(import.meta.dirname, 'bad-inputs');
const rows = (
  await Promise.all(
    fs
      .readdirSync(rowsDir)
      .filter((f) => f.endsWith('.rows.ts'))
      .sort()
      .map(async (f) => {
        const m = (await import(path.join(rowsDir, f))) as { rows: BadInput[] };
        return m.rows.map((row) => ({ ...row, file: path.basename(f, '.rows.ts') }));
      }),
  )
).flat();

/** A row that neither answers nor exits within this is a hang. */
const hangMs = 30_000;
/** Concurrent spawns; on the embedded database each lane has a copy of its own (one process per data directory). */
const lanes = 3;

function fill(value: string, tmp: string): string {
  return value.replaceAll('{tmp}', tmp);
}

function envFor(row: BadInput, base: NodeJS.ProcessEnv, tmp: string): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [k, v] of Object.entries(row.env ?? {})) {
    if (v === null) delete env[k];
    else env[k] = fill(v, tmp);
  }
  return env;
}

async function runRow(row: BadInput, target: Target) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-bad-'));
  try {
    row.setup?.(tmp);
    const child = spawnTrader(
      row.args.map((a) => fill(a, tmp)),
      envFor(row, target.env, tmp),
      undefined,
      row.stdin,
    );
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), hangMs);
    });
    const result = await Promise.race([child.done, hang]);
    clearTimeout(timer);
    if (result === 'hang') {
      process.kill(child.pid, 'SIGKILL');
      await child.done;
      return { row, error: `did not answer within ${hangMs / 1000} s` };
    }
    try {
      expectCleanError(result, row.exit, row.message, {
        ...(row.usageHint ? { usageHint: true } : {}),
        ...(row.extraLines ? { extraLines: row.extraLines } : {}),
      });
      return { row, error: null };
    } catch (e) {
      return { row, error: `${(e as Error).message.split('\n')[0]}\n    stderr: ${result.stderr.slice(0, 600)}` };
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Row counts of every table trader owns: a bad input must change none of them. */
async function fingerprint(q: Queryable): Promise<Record<string, number>> {
  const tables = await q.query<{ name: string }>(
    `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await q.query<{ n: number }>(`select count(*)::int as n from ${name}`);
    counts[name] = row!.n;
  }
  return counts;
}

async function withTargetDb<T>(t: Target, fn: (q: Queryable) => Promise<T>): Promise<T> {
  const db =
    t.kind === 'pglite' ? await openPgliteDb({ dataDir: path.join(t.home!, 'pgdata') }) : await openPostgresDb(t.url!);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const backendsOf = (row: BadInput): CliBackend[] => row.backends ?? ['postgres'];

describe.each(['pglite', 'postgres'] as CliBackend[])('the bad-input table through the real bin (%s)', (kind) => {
  const mine = rows.filter((r) => backendsOf(r).includes(kind));
  let prepared: Target;
  let copies: Target[] = [];
  beforeAll(async () => {
    if (mine.length === 0) return;
    prepared = await demoTarget(kind);
    copies = kind === 'pglite' ? await Promise.all(Array.from({ length: lanes }, () => prepared.clone())) : [];
  }, 240_000);
  afterAll(async () => {
    for (const c of copies) await c.dispose();
    await prepared?.dispose();
  });

  it.runIf(mine.length > 0)(
    `${mine.length} rows: the documented exit code, one sentence, nothing written`,
    async () => {
      const targets = kind === 'pglite' ? copies : Array.from({ length: lanes }, () => prepared);
      // The embedded lanes' copies are byte copies of the prepared database: one count stands for all.
      const before = await withTargetDb(prepared, fingerprint);
      const queue = [...mine];
      const failures: string[] = [];
      await Promise.all(
        targets.map(async (t) => {
          for (let row = queue.shift(); row; row = queue.shift()) {
            const r = await runRow(row, t);
            if (r.error) failures.push(`[${row.file}] ${row.what} (trader ${row.args.join(' ')}): ${r.error}`);
          }
        }),
      );
      expect(failures, failures.join('\n')).toEqual([]);
      const written = [...new Set(targets)];
      const after = await Promise.all(written.map((t) => withTargetDb(t, fingerprint)));
      expect(after).toEqual(written.map(() => before));
    },
    900_000,
  );
});

it('the table has at least 80 rows, each with a clear description', () => {
  expect(rows.length).toBeGreaterThanOrEqual(80);
  const names = rows.map((r) => `${r.file}: ${r.what}`);
  expect(new Set(names).size).toBe(names.length);
});
