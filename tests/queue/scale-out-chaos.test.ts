import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, runTrader, sampleCsv, spawnTrader, tempHome } from '../helpers/cli.ts';
import {
  startThrowawayPostgres,
  throwawayPostgresAvailable,
  type ThrowawayPostgres,
} from '../helpers/throwaway-postgres.ts';

/**
 * The acceptance test: three `trader worker` processes on their own Postgres, a
 * 300-symbol distributed run in Semi-Auto (so decisions create proposals), one worker killed
 * with SIGKILL while it holds a job, and Postgres itself crashed and restarted once mid-run.
 * Every symbol must be decided exactly once, nothing written twice, and the waiter must print
 * the complete summary.
 */
const asOf = '2024-12-20T00:00:00Z';
const symbols = Array.from({ length: 300 }, (_, i) => `S${String(i + 1).padStart(3, '0')}/USDT`);

// Each symbol gets its own 170-bar slice of BTC's 2024 (so their decisions differ), ending at the decision time.
const seedSql = `
insert into instruments (exchange, symbol, base, quote, category, price_precision, amount_precision, tick_size, min_qty, min_notional)
select i.exchange, 'S' || lpad(g::text, 3, '0') || '/USDT', 'S' || lpad(g::text, 3, '0'), 'USDT', i.category,
       i.price_precision, i.amount_precision, i.tick_size, i.min_qty, i.min_notional
from instruments i, generate_series(1, 300) g where i.exchange = 'binance' and i.symbol = 'BTC/USDT';
insert into candles (exchange, symbol, timeframe, ts, open, high, low, close, volume)
select c.exchange, 'S' || lpad(g::text, 3, '0') || '/USDT', c.timeframe, c.ts + make_interval(hours => 8000 - g * 20),
       c.open, c.high, c.low, c.close, c.volume
from generate_series(1, 300) g
join candles c on c.exchange = 'binance' and c.symbol = 'BTC/USDT' and c.timeframe = '1h'
 and c.ts + make_interval(hours => 8000 - g * 20) between timestamptz '${asOf}' - interval '170 hours' and timestamptz '${asOf}'`;

let pg: ThrowawayPostgres | undefined;
// Whatever the outcome, no worker outlives the test (a failed run used to leave them polling).
const spawned: number[] = [];
afterAll(async () => {
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await pg?.stop();
});

async function polled<T>(sql: postgres.Sql, fn: (sql: postgres.Sql) => Promise<T>): Promise<T | undefined> {
  try {
    return await fn(sql);
  } catch {
    return undefined; // Postgres is restarting
  }
}

describe.skipIf(!throwawayPostgresAvailable)('scale-out on the job queue', () => {
  it('decides 300 symbols exactly once across 3 workers, a SIGKILLed worker and a Postgres crash', async () => {
    pg = await startThrowawayPostgres();
    const env = baseEnv({
      DATABASE_URL: pg.url,
      TRADER_HOME: tempHome(),
      TRADER_QUEUE_EXPIRE_SECONDS: '20',
      TRADER_QUEUE_MAINTENANCE_SECONDS: '2',
      TRADER_WORKER_DEAD_SECONDS: '6',
      TRADER_QUEUE_POLL_MS: '200',
    });
    for (const args of [
      ['db', 'migrate'],
      ['db', 'seed'],
      ['data', 'import', sampleCsv('BTC'), '--symbol', 'BTC/USDT', '--timeframe', '1h'],
      ['mode', 'set', 'semi_auto', '--yes'],
    ]) {
      const r = await runTrader(args, env);
      expect(r.code, `trader ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const sql = postgres(pg.url, { onnotice: () => {}, max: 1 });
    await sql.unsafe(seedSql);

    const workers = [1, 2, 3].map(() => spawnTrader(['worker', '--concurrency', '1'], env));
    spawned.push(...workers.map((w) => w.pid));
    const waiter = spawnTrader(
      [
        'run',
        '--symbols',
        symbols.join(','),
        '--as-of',
        asOf,
        '--offline',
        '--history',
        '150',
        '--distributed',
        '--json',
      ],
      env,
    );
    const decided = async () =>
      (await polled(sql, async (s) => (await s`select count(*)::int as n from run_decisions`)[0]!.n as number)) ?? 0;

    // A worker killed while it holds a job: its job must come back (retry_count > 0) and be decided once.
    // The worker is frozen (SIGSTOP) before it is looked at, so what its row and the queue say it
    // holds cannot change before the SIGKILL: a job it has finished meanwhile would leave nothing to retry.
    while ((await decided()) < 30) await sleep(100);
    let killed: { pid: number; job: string } | undefined;
    const tryUntil = Date.now() + 120_000;
    for (let i = 0; killed === undefined && Date.now() < tryUntil; i++) {
      const pid = workers[i % workers.length]!.pid;
      process.kill(pid, 'SIGSTOP');
      const held = await polled(
        sql,
        (s) =>
          s`select q.id::text as id from queue_workers w, jsonb_array_elements(w.current_jobs) j, pgboss.job q
            where w.pid = ${pid} and w.stopped_at is null and q.name = 'test-runs'
              and q.id = (j->>'job_id')::uuid and q.state = 'active'
            limit 1`,
      );
      const job = held?.[0]?.id as string | undefined;
      if (job === undefined) {
        process.kill(pid, 'SIGCONT');
        await sleep(50);
        continue;
      }
      process.kill(pid, 'SIGKILL');
      killed = { pid, job };
    }
    expect(killed, 'no worker held a job to be killed').toBeDefined();
    const jobNow = () =>
      polled(sql, async (s) => (await s`select state, retry_count from pgboss.job where id = ${killed!.job}`)[0]);
    const retryBy = Date.now() + 90_000;
    let retried = false;
    while (!retried && Date.now() < retryBy) {
      retried = ((await jobNow())?.retry_count ?? 0) > 0;
      if (!retried) await sleep(250);
    }
    const workerRows = await polled(
      sql,
      (s) => s`select pid, heartbeat_at, stopped_at, current_jobs from queue_workers`,
    );
    expect(
      retried,
      `the killed worker’s job was never retried: ${JSON.stringify({ job: await jobNow(), workerRows })}`,
    ).toBe(true);

    // Postgres crashes and comes back while the run goes on.
    while ((await decided()) < 150) await sleep(100);
    await pg.restart();

    const result = await waiter.done;
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { run_id: string; status: string; symbols: { symbol: string }[] };
    expect(summary.status).toBe('succeeded');
    expect(summary.symbols.map((s) => s.symbol)).toEqual(symbols);

    const runId = summary.run_id;
    const [counts] = await sql`
      select (select count(*)::int from run_decisions where run_id = ${runId}) as decisions,
             (select count(distinct symbol)::int from run_decisions where run_id = ${runId} and status = 'decided') as decided,
             (select count(*)::int from pipeline_log where run_id = ${runId} and event = 'decision') as decision_logs,
             (select count(distinct symbol)::int from pipeline_log where run_id = ${runId} and event = 'decision') as logged_symbols,
             (select count(*)::int from run_fingerprints where run_id = ${runId}) as fingerprints,
             (select count(*)::int from events where event_type = 'RUN_FINISHED' and payload->>'entity_id' = ${runId}) as finished_events`;
    expect(counts).toEqual({
      decisions: 300,
      decided: 300,
      decision_logs: 300,
      logged_symbols: 300,
      fingerprints: 300,
      finished_events: 1,
    });
    const proposals = await sql`
      select symbol, count(*)::int as n from trading_test.proposals where run_id = ${runId} group by symbol having count(*) > 1`;
    expect(proposals).toEqual([]);
    const [proposedRow] = await sql`select count(*)::int as n from trading_test.proposals where run_id = ${runId}`;
    const proposed = proposedRow!.n as number;
    expect(proposed).toBe((summary as unknown as { proposals: unknown[] }).proposals.length);
    // A killed attempt that committed its decision but not its job's completion is still held:
    // released, it runs again, finds the symbol decided and completes, having written nothing.
    const openJobs = () =>
      sql`select state, count(*)::int as n from pgboss.job where name = 'test-runs' and state <> 'completed' group by state`;
    const settleBy = Date.now() + 60_000;
    while ((await openJobs()).length > 0 && Date.now() < settleBy) await sleep(500);
    expect(await openJobs()).toEqual([]);
    const [after] =
      await sql`select count(*)::int as n from pipeline_log where run_id = ${runId} and event = 'decision'`;
    expect(after!.n).toBe(300);
    const verify = await runTrader(['audit', 'verify'], env);
    expect(verify.code, verify.stderr).toBe(0);

    // The workers that were not killed came through the Postgres crash and stop cleanly.
    const survivors = workers.filter((w) => w.pid !== killed!.pid);
    for (const w of survivors) {
      expect(() => process.kill(w.pid, 'SIGTERM'), `worker ${w.pid} died: ${w.stderr()}`).not.toThrow();
    }
    const stopped = await Promise.all(survivors.map((w) => w.done));
    expect(stopped.map((s) => s.code)).toEqual(stopped.map(() => 0));
    await sql.end();
  }, 360_000);
});
