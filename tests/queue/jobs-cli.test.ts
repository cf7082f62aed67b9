import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueClient } from '../../queue/boss.ts';
import { bossTx } from '../../queue/boss-tx.ts';
import { symbolJobId } from '../../queue/queues.ts';
import type { Db } from '../../store/db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { expectCleanError, expectJsonError, freshTarget, ok, runTrader, type Target } from '../helpers/cli.ts';
import { prepareDemo } from '../helpers/demo-template.ts';

interface JobDoc {
  id: string;
  queue: string;
  state: string;
  data: unknown;
  run_id: string | null;
  retry_count: number;
  retry_limit: number;
  output: unknown;
  error: string | null;
}

/**
 * `trader jobs` and the workers line of `trader status` through the real bin, on Postgres
 * (the queue needs it): jobs put on the queue with pg-boss over our connection, one of them
 * fetched and failed with pg-boss's API, as a worker would.
 */
describe('trader jobs (postgres)', () => {
  let t: Target;
  let db: Db;
  /** A job on `ping` that failed for good, its message stored. */
  const failed = randomUUID();
  /** A waiting job on `backtests`, 2 minutes past its start. */
  const waiting = randomUUID();
  /** A closed run's symbol job on `test-runs`, failed. */
  const closedRun = randomUUID();
  const symbolJob = symbolJobId({ run_id: closedRun, symbol: 'BTC/USDT' });

  beforeAll(async () => {
    t = await freshTarget('postgres');
    await prepareDemo(t, { seed: false, data: false });
    db = await openPostgresDb(t.url!);
    const boss = queueClient({ DATABASE_URL: t.url });
    const q = { db: bossTx(db) };
    await db.query(
      `insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of, distributed, finished_at)
       values ($1, 'default', 'failed', 'binance', '1h', '{BTC/USDT}', now(), true, now())`,
      [closedRun],
    );
    // One statement each: the list's order (created_on) is then theirs.
    await boss.insert([{ name: 'ping', id: failed, data: { probe: 1 }, retryLimit: 0 }], q);
    await boss.insert(
      [{ name: 'test-runs', id: symbolJob, data: { v: 1, run_id: closedRun, symbol: 'BTC/USDT' }, retryLimit: 0 }],
      q,
    );
    for (const name of ['ping', 'test-runs']) {
      const [job] = await boss.fetch(name, { batchSize: 1, ...q });
      expect(job, name).toBeDefined();
      await boss.fail(name, job!.id, { message: `exchange timed out (${name})` }, q);
    }
    await boss.insert(
      [
        {
          name: 'backtests',
          id: waiting,
          data: { study: 7 },
          startAfter: new Date(Date.now() - 120_000).toISOString(),
        },
      ],
      q,
    );
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await t?.dispose();
  });

  const jobsOf = async (...args: string[]) =>
    (JSON.parse((await ok(t, 'jobs', 'list', '--json', ...args)).stdout) as { ok: true; jobs: JobDoc[] }).jobs;
  const audits = (action: string) =>
    db.query<{ mode: string; actor: string; entity_id: string; details: Record<string, unknown> }>(
      'select mode, actor, entity_id, details from audit_trail where action_type = $1 order by seq',
      [action],
    );

  it('lists the jobs newest first with the failure message, and filters by queue, state and run', async () => {
    const [all, failedOnPing, ofRun, one, text] = await Promise.all([
      jobsOf(),
      jobsOf('--state', 'failed', '--queue', 'ping'),
      jobsOf('--run', closedRun),
      jobsOf('--limit', '1'),
      ok(t, 'jobs', 'list', '--state', 'failed').then((r) => r.stdout),
    ]);
    // The failed symbol job's dead letter (test-runs-dead) was enqueued by pg-boss as it failed for good.
    expect(all.map((j) => [j.queue, j.state])).toEqual([
      ['backtests', 'created'],
      ['test-runs-dead', 'created'],
      ['test-runs', 'failed'],
      ['ping', 'failed'],
    ]);
    expect(all.find((j) => j.id === failed)).toMatchObject({
      queue: 'ping',
      state: 'failed',
      data: { probe: 1 },
      retry_count: 0,
      retry_limit: 0,
      output: { message: 'exchange timed out (ping)' },
      error: 'exchange timed out (ping)',
    });
    expect(failedOnPing.map((j) => j.id)).toEqual([failed]);
    expect(ofRun.map((j) => [j.queue, j.run_id])).toEqual([
      ['test-runs-dead', closedRun],
      ['test-runs', closedRun],
    ]);
    expect(one).toHaveLength(1);
    expect(text).toMatch(/^id +queue +state +retries +created +run +symbol +error$/m);
    expect(text).toMatch(new RegExp(`^${failed} +ping +failed +0/0 +\\S+Z +exchange timed out \\(ping\\)$`, 'm'));
  });

  it('shows one job: payload, state, attempts, times and the error as its output', async () => {
    const [shown, json] = await Promise.all([
      ok(t, 'jobs', 'show', failed),
      ok(t, 'jobs', 'show', symbolJob, '--json'),
    ]);
    const text = shown.stdout;
    for (const line of [
      `job          ${failed}`,
      'queue        ping',
      'state        failed',
      'attempts     1 (retries used: 0 of 0)',
      'payload      {"probe":1}',
      'output       exchange timed out (ping)',
    ])
      expect(text.split('\n')).toContain(line);
    expect(text).toMatch(/^started +\d{4}-.*Z$/m);
    expect(text).toMatch(/^completed +\d{4}-.*Z$/m);
    const doc = JSON.parse(json.stdout) as { job: JobDoc };
    expect(doc.job).toMatchObject({ id: symbolJob, queue: 'test-runs', state: 'failed', run_id: closedRun });
  });

  it('retries a failed job (audited JOB_RETRIED), but not a closed run’s symbol job', async () => {
    const r = JSON.parse((await ok(t, 'jobs', 'retry', failed, '--json')).stdout) as { from: string; job: JobDoc };
    expect(r.from).toBe('failed');
    expect(r.job).toMatchObject({ id: failed, state: 'retry', retry_limit: 1 });
    const [retried, closed, twice] = await Promise.all([
      audits('JOB_RETRIED'),
      runTrader(['jobs', 'retry', symbolJob], t.env),
      runTrader(['jobs', 'retry', failed], t.env),
    ]);
    expect(retried).toEqual([
      {
        mode: 'TEST',
        actor: 'USER',
        entity_id: failed,
        details: expect.objectContaining({ job_id: failed, queue: 'ping', from: 'failed', to: 'retry' }),
      },
    ]);
    expectCleanError(closed, 2, new RegExp(`^trader: Run ${closedRun} is closed; start a new run\\.$`));
    expectCleanError(twice, 2, /^trader: Job \S+ is in state retry; only failed or cancelled jobs can be retried\.$/);
  });

  it('cancels a waiting job (audited JOB_CANCELLED), refuses a second cancel, and retries the cancelled one', async () => {
    expect((await ok(t, 'jobs', 'cancel', waiting)).stdout).toBe(
      `Cancelled job ${waiting} on backtests: created -> cancelled.\n`,
    );
    const [cancelled, againJson, again] = await Promise.all([
      audits('JOB_CANCELLED'),
      runTrader(['jobs', 'cancel', waiting, '--json'], t.env),
      runTrader(['jobs', 'cancel', waiting], t.env),
    ]);
    expect(cancelled).toEqual([
      expect.objectContaining({ entity_id: waiting, details: expect.objectContaining({ queue: 'backtests' }) }),
    ]);
    expectJsonError(againJson, 'BAD_INPUT');
    expectCleanError(
      again,
      2,
      /^trader: Job \S+ is in state cancelled; only created, retry or active jobs can be cancelled\.$/,
    );
    const resumed = JSON.parse((await ok(t, 'jobs', 'retry', waiting, '--json')).stdout) as { job: JobDoc };
    expect(resumed.job.state).toBe('created');
  });

  it('refuses a bad id, an unknown id and a bad flag with one sentence (exit 2)', async () => {
    const [bad, unknown, state, run] = await Promise.all([
      runTrader(['jobs', 'show', 'not-a-job'], t.env),
      runTrader(['jobs', 'cancel', randomUUID()], t.env),
      runTrader(['jobs', 'list', '--state', 'stuck'], t.env),
      runTrader(['jobs', 'list', '--queue', 'nope'], t.env),
    ]);
    expectCleanError(bad, 2, /^trader: 'not-a-job' is not a job id \(a UUID\); see `trader jobs list`\.$/);
    expectCleanError(unknown, 2, /^trader: There is no job \S+; see `trader jobs list`\.$/);
    expectCleanError(
      state,
      2,
      /^trader: --state must be one of created, retry, active, completed, cancelled, failed, not 'stuck'\.$/,
    );
    expectCleanError(run, 2, /^trader: There is no queue 'nope'; the queues are backtests, .*\.$/);
  });

  it('status shows the workers and the queue, loud when jobs wait with no worker or failed', async () => {
    // The cancelled job was put back with start_after in the past: it waits, and no worker is alive.
    const before = (await ok(t, 'status')).stdout;
    expect(before).toMatch(/^!!! 1 JOB WAITING OVER 60 S WITH NO LIVE WORKER !!!$/m);
    expect(before).toMatch(/^!!! 1 JOB FAILED IN THE LAST 24 H !!!$/m);
    expect(before).toMatch(/^workers +0 alive; jobs: 3 queued, 0 active, 1 failed in 24 h$/m);
    await db.query(
      `insert into queue_workers (worker_id, host, pid, mode, queues, concurrency, version, heartbeat_at) values
         ('host-a:1', 'host-a', 1, 'TEST', '{runs}', 2, '0.1.0', now()),
         ('host-a:2', 'host-a', 2, 'TEST', '{runs}', 2, '0.1.0', now()),
         ('host-b:1', 'host-b', 1, 'TEST', '{runs}', 2, '0.1.0', now()),
         ('host-c:1', 'host-c', 1, 'TEST', '{runs}', 2, '0.1.0', now() - interval '1 hour')`,
    );
    const [text, json] = await Promise.all([ok(t, 'status'), ok(t, 'status', '--json')]);
    const after = text.stdout;
    expect(after).not.toMatch(/NO LIVE WORKER/);
    expect(after).toMatch(/^workers +3 alive \(host-a x2, host-b x1\), 1 stale; jobs: 3 queued, 0 active, 1 failed/m);
    const doc = JSON.parse(json.stdout) as { workers: unknown };
    expect(doc.workers).toEqual({
      alive: 3,
      stale: 1,
      hosts: [
        { host: 'host-a', alive: 2, stale: 0 },
        { host: 'host-b', alive: 1, stale: 0 },
        { host: 'host-c', alive: 0, stale: 1 },
      ],
      jobs: { queued: 3, waiting_over_60s: 1, active: 0, failed_24h: 1 },
    });
  });
});

describe('trader jobs (pglite)', () => {
  let t: Target;
  beforeAll(async () => {
    t = await freshTarget('pglite');
  });
  afterAll(async () => t?.dispose());

  it('is refused on the embedded database, naming `trader db move`', async () => {
    const r = await runTrader(['jobs', 'list'], t.env);
    expectCleanError(
      r,
      2,
      /^trader: Jobs need Postgres: move this installation with `trader db move --to <postgres-url>` first\.$/,
    );
  });
});
