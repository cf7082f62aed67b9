import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { seedDefaults } from '../../orchestrator/seed.ts';
import type { Db } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { createPostgresDatabase } from '../helpers/db.ts';
import { pgbouncerBinary, startTransactionPooler } from '../helpers/pgbouncer.ts';
import { importSample, runOptions } from '../helpers/pipeline.ts';

// .ci/run installs pgbouncer; on a machine without it this suite is reported as skipped.
describe.skipIf(!pgbouncerBinary)('through a transaction-mode pooler (as Supabase)', () => {
  let pooler: Awaited<ReturnType<typeof startTransactionPooler>>;
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let db: Db;

  beforeAll(async () => {
    pooler = await startTransactionPooler();
    database = await createPostgresDatabase();
    const url = new URL(database.url);
    url.port = String(pooler.port);
    db = await openPostgresDb(url.toString());
  });
  afterAll(async () => {
    await db?.close();
    pooler?.stop();
    await database?.drop();
  });

  it('migrates, seeds, imports and runs the pipeline with transactions intact', async () => {
    await migrate(db);
    await seedDefaults(db);
    await importSample(db, 'BTC');
    const summary = await runPipeline(db, runOptions({ env: process.env }));
    expect(summary.status).toBe('succeeded');
    expect(summary.symbols[0]!.outcome).toBe('trade_intent');
    // The role switch of the trading actions (set local role) holds inside one pooled transaction.
    expect(summary.symbols[0]!.actions?.map((a) => a.action)).toEqual(['observed']);
    const [logs] = await db.query<{ n: number }>('select count(*)::int as n from pipeline_log where run_id = $1', [
      summary.run_id,
    ]);
    // five modules, the history raised to the pipeline's recorded warm-up, the decision, what the system did with it
    expect(logs!.n).toBe(8);
    // A failed transaction through the pooler leaves nothing behind.
    await expect(
      db.transaction(async (tx) => {
        await tx.query("insert into asset_config (symbol) values ('ROLL/BACK')");
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.query("select 1 from asset_config where symbol = 'ROLL/BACK'")).toHaveLength(0);
  });
});
