/**
 * `backtest --each` (issue 21): one backtest per symbol, each on an account of its own, as a
 * batch run here (both backends) or as jobs on the `backtests` queue (Postgres). The jobs are
 * run in this process through the worker's own handler, no worker spawned: a job run twice
 * at once stores one backtest, a symbol that cannot run is reported with its sentence, and
 * the batch's reports are those of `--each` here.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchOutcome } from '../../backtest/backtest-batch.ts';
import type { BacktestReport } from '../../backtest/report-schema.ts';
import { saveBacktest } from '../../backtest/backtest-repo.ts';
import { batchTasks, runBatchHere } from '../../backtest/run-batch.ts';
import { runBatchOnWorkers } from '../../backtest/wait-batch.ts';
import { queueHandlers } from '../../orchestrator/worker/handlers.ts';
import { queueBacktestSink } from '../../queue/backtest-jobs.ts';
import { queueClient } from '../../queue/boss.ts';
import { bossTx } from '../../queue/boss-tx.ts';
import { backtestJobId, backtestsQueue } from '../../queue/queues.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoDb, fixtureBacktestOptions } from '../helpers/pipeline.ts';

/** A week of the demo's BTC and ETH on the shipped pack; SOL has no candles, so its backtest fails. */
const options = fixtureBacktestOptions({
  symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
  from: new Date('2024-03-01T00:00:00Z'),
  to: new Date('2024-03-08T00:00:00Z'),
  env: process.env,
});
const noCandles = /^No 1h candles for SOL\/USDT on binance between /;

/** What a backtest found, without what differs between two runs of it (ids, clock times). */
const found = (r: BacktestReport) => ({
  symbols: r.request.symbols,
  total: r.total,
  per_symbol: r.symbols,
  bars: r.bars_evaluated,
  ratings: r.ratings,
  errors: r.module_errors,
});

const slots = (db: TestDb, batchId: string) =>
  db.query<{ batch_index: number; backtest_id: string; trades: number }>(
    `select batch_index, backtest_id::text, (select count(*)::int from backtest_trades t where t.backtest_id = r.backtest_id) as trades
     from backtest_runs r where batch_id = $1 order by batch_index`,
    [batchId],
  );

/** The postgres batch run here, which the distributed one must equal. */
let here: BatchOutcome | undefined;

describe.each(backends)('backtest --each (%s)', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb(kind);
  }, 300_000);
  afterAll(async () => db?.dispose());

  it('runs each symbol on an account of its own, keeps a failure with its sentence, stores each slot once', async () => {
    const tasks = batchTasks(randomUUID(), options, 0);
    const outcome = await runBatchHere(db, tasks, { env: process.env, workers: 2 });
    expect(outcome.backtests.map((r) => r.request.symbols)).toEqual([['BTC/USDT'], ['ETH/USDT']]);
    expect(outcome.backtests.every((r) => r.request.initial_equity === 10_000)).toBe(true);
    expect(outcome.backtests.some((r) => r.total.trades > 0)).toBe(true);
    expect(outcome.failed).toEqual([{ symbol: 'SOL/USDT', error: expect.stringMatching(noCandles) }]);
    const stored = await slots(db, outcome.batch_id);
    expect(stored).toEqual(
      outcome.backtests.map((r, i) => ({ batch_index: i, backtest_id: r.backtest_id, trades: r.total.trades })),
    );
    // Another backtest saved into a taken slot (a retried job's) writes nothing, on either backend.
    const again = { ...outcome.backtests[1]!, backtest_id: randomUUID() };
    expect(await saveBacktest(db, again, [], new Map(), tasks[1]!)).toBe(false);
    expect(await slots(db, outcome.batch_id)).toEqual(stored);
    if (kind === 'postgres') here = outcome;
  }, 120_000);

  it.runIf(kind === 'postgres')(
    'on workers: a job run twice at once stores one backtest, a failed job is reported, the reports are those of --each here',
    async () => {
      const env = { ...process.env, DATABASE_URL: db.url! };
      const boss = queueClient(env);
      const queue = queueBacktestSink(boss, db);
      const tasks = batchTasks(randomUUID(), options, 0);
      await queue.enqueue(tasks);
      // The waiter enqueues the batch again: the ids derive from the slots, so it adds nothing.
      const waiting = runBatchOnWorkers(db, queue, tasks, { pollMs: 50 });
      const jobs = await db.query<{ id: string; data: unknown }>(
        `select id::text, data from pgboss.job where name = $1 and data->>'batch_id' = $2 order by data->>'batch_index'`,
        [backtestsQueue, tasks[0]!.batch_id],
      );
      expect(jobs.map((j) => j.id)).toEqual(tasks.map(backtestJobId));

      const [handler] = queueHandlers(db, { mode: 'TEST', queues: ['backtests'], workerId: 'test', env });
      const job = (i: number, attempt = 1) => ({ ...jobs[i]!, queue: backtestsQueue, attempt, output: null });
      // What a worker's slot passes; a backtest replays in a module worker of its own and leaves it unused.
      const slot = new Sandbox();
      try {
        // BTC twice at once (a retry while the first attempt still runs): the slot's insert decides.
        const twice = await Promise.all([1, 2].map((attempt) => handler!.handle(job(0, attempt), slot)));
        expect(twice.map((r) => (r as { result: string }).result).sort()).toEqual(['already_stored', 'stored']);
        expect(await handler!.handle(job(0, 3), slot)).toEqual({ result: 'already_stored' });
        expect(await handler!.handle(job(1), slot)).toEqual({ result: 'stored' });
        // SOL fails; with its retries spent, pg-boss keeps the worker's sentence as the job's output.
        const error = await handler!.handle(job(2), slot).then(
          () => null,
          (e: Error) => e.message,
        );
        expect(error).toMatch(noCandles);
        await db.query('update pgboss.job set retry_limit = 0 where id = $1', [jobs[2]!.id]);
        await boss.fail(backtestsQueue, jobs[2]!.id, { message: error }, { db: bossTx(db) });

        const outcome = await waiting;
        expect(outcome.failed).toEqual([{ symbol: 'SOL/USDT', error }]);
        expect(outcome.backtests.map(found)).toEqual(here!.backtests.map(found));
        expect(await slots(db, outcome.batch_id)).toEqual(
          outcome.backtests.map((r, i) => ({ batch_index: i, backtest_id: r.backtest_id, trades: r.total.trades })),
        );
      } finally {
        await slot.close();
      }
    },
    120_000,
  );
});
