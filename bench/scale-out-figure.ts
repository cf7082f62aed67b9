import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../core/paths.ts';
import { defaultPipelineId } from '../registry/default-pack.ts';
import { runPipeline } from '../engine/run/run-pipeline.ts';
import type { RunOptions } from '../engine/run/run-summary.ts';
import { startDistributedRun } from '../orchestrator/distributed-run.ts';
import { queueClient, startBoss } from '../queue/boss.ts';
import { bossTx } from '../queue/boss-tx.ts';
import {
  type BenchDb,
  asOf,
  benchEnv,
  exchange,
  importCandles,
  migrateAndSeed,
  openBenchDb,
  timeframe,
} from './fixtures.ts';
import { fmt, median, type Row } from './stats.ts';

/**
 * Figures 17 and 19 of `npm run bench` (alone: `npx tsx bench/scale-out-only.ts`): one
 * 1,000-symbol tick decided by 1, 2 and 4 `trader worker` processes on a fresh Postgres
 * database, against the same tick in one process; then the job queue's own cost per job.
 * Symbols K0001.. carry BTC's 2024 candles shifted by 2 h each, so their decisions differ.
 */
const SYMBOLS = Number(process.env.SCALE_OUT_SYMBOLS ?? 1000);
const WORKERS = [1, 2, 4];
const HISTORY = 150;
const symbolOf = (i: number) => `K${String(i + 1).padStart(4, '0')}/USDT`;

async function seedSymbols(b: BenchDb, count: number): Promise<string[]> {
  await migrateAndSeed(b.db);
  await importCandles(b.db, 1);
  await b.db.query(
    `insert into instruments (exchange, symbol, base, quote, category, price_precision, amount_precision, tick_size, min_qty, min_notional)
     select i.exchange, 'K' || lpad(g::text, 4, '0') || '/USDT', 'K' || lpad(g::text, 4, '0'), 'USDT', i.category,
            i.price_precision, i.amount_precision, i.tick_size, i.min_qty, i.min_notional
     from instruments i, generate_series(1, $1::int) g where i.exchange = $2 and i.symbol = 'BTC/USDT'`,
    [count, exchange],
  );
  await b.db.query(
    `insert into candles (exchange, symbol, timeframe, ts, open, high, low, close, volume)
     select c.exchange, 'K' || lpad(g::text, 4, '0') || '/USDT', c.timeframe, c.ts + make_interval(hours => (g % 500) * 2),
            c.open, c.high, c.low, c.close, c.volume
     from generate_series(1, $1::int) g
     join candles c on c.exchange = $2 and c.symbol = 'BTC/USDT' and c.timeframe = $3
      and c.ts + make_interval(hours => (g % 500) * 2) between $4::timestamptz - interval '200 hours' and $4::timestamptz`,
    [count, exchange, timeframe, asOf],
  );
  return Array.from({ length: count }, (_, i) => symbolOf(i));
}

const request = (symbols: string[], at: Date, env: NodeJS.ProcessEnv): RunOptions => ({
  symbols,
  pipelineId: defaultPipelineId,
  strategyId: null,
  exchange,
  timeframe,
  // Each distributed tick at its own decision time (a tick runs distributed once), the same closed bars.
  asOf: at,
  trigger: 'bench',
  triggerRef: null,
  historyBars: HISTORY,
  minBars: 100,
  offline: true,
  env: { ...env, TRADER_LOG_LEVEL: 'warn' },
});

/** `n` `trader worker --concurrency 1` processes on the bench's database (`queues`: which they serve). */
export function startWorkers(n: number, env: NodeJS.ProcessEnv, queues = 'runs'): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(
      process.execPath,
      [path.join(packageRoot, 'bin', 'trader.js'), 'worker', '--concurrency', '1', '--queues', queues],
      {
        env: { ...process.env, ...env, TRADER_LOG_LEVEL: 'warn', TRADER_QUEUE_POLL_MS: '100' },
        stdio: 'ignore',
      },
    ),
  );
}

export async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.exitCode !== null) return resolve();
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  );
}

export async function measureScaleOut(open: Set<BenchDb>): Promise<{ rows: Row[]; notes: string[] }> {
  const b = await openBenchDb('postgres');
  open.add(b);
  const symbols = await seedSymbols(b, SYMBOLS);
  const env = { ...benchEnv, ...b.cliEnv };
  const rows: Row[] = [];
  const tick = (k: number) => new Date(asOf.getTime() + k * 1000);

  const local0 = performance.now();
  const local = await runPipeline(b.db, request(symbols, tick(0), env));
  const localMs = performance.now() - local0;
  rows.push({
    figure: `17. one tick, ${SYMBOLS} symbols`,
    backend: 'one process (runPipeline)',
    median: `${fmt(localMs / 1000)} s`,
    range: '-',
    reps: '1 run',
    notes: `${fmt(SYMBOLS / (localMs / 1000))} symbols/s; status ${local.status}`,
  });
  let oneWorkerMs = 0;
  for (const n of WORKERS) {
    const workers = startWorkers(n, env);
    try {
      // A warm-up tick: each worker plans, loads its sandbox and modules once, as a long-lived worker has.
      await startDistributedRun(b.db, request(symbols.slice(0, 10 * n), tick(100 + n), env), { wait: true });
      const t0 = performance.now();
      const done = await startDistributedRun(b.db, request(symbols, tick(n), env), { wait: true, pollMs: 100 });
      const ms = performance.now() - t0;
      if (n === 1) oneWorkerMs = ms;
      const speedUp = oneWorkerMs / ms;
      rows.push({
        figure: `17. one tick, ${SYMBOLS} symbols`,
        backend: `${n} worker${n > 1 ? 's' : ''} (distributed)`,
        median: `${fmt(ms / 1000)} s`,
        range: '-',
        reps: '1 run after a warm-up tick',
        notes: `${fmt(SYMBOLS / (ms / 1000))} symbols/s; speed-up vs 1 worker ${fmt(speedUp, 2)}x (${fmt(speedUp / n, 2)} per worker); status ${done.summary!.status}`,
      });
    } finally {
      await stopWorkers(workers);
    }
  }
  rows.push(...(await queueOverhead(b, env)));
  return {
    rows,
    notes: [
      `figure 17: ${SYMBOLS} symbols (BTC 2024 shifted 2 h per symbol), default pipeline, Observe, offline, history ${HISTORY}; workers are \`trader worker --concurrency 1\` processes on this machine (${os.availableParallelism()} cores, shared with Postgres: more workers than cores cannot add speed); time from opening the run to its summary`,
    ],
  };
}

/** Figure 19: what the queue itself costs a job, apart from deciding it. */
async function queueOverhead(b: BenchDb, env: NodeJS.ProcessEnv): Promise<Row[]> {
  const jobs = 1000;
  const client = queueClient(env);
  const enqueue = [];
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    await b.db.transaction((tx) =>
      client.insert(
        Array.from({ length: jobs }, (_, i) => ({ name: 'ping', data: { rep, i } })),
        { db: bossTx(tx) },
      ),
    );
    enqueue.push(((performance.now() - t0) * 1000) / jobs);
  }
  const boss = await startBoss(env);
  const cycle: number[] = [];
  try {
    for (let i = 0; i < jobs; i++) {
      const t0 = performance.now();
      const [job] = await boss.fetch('ping', { batchSize: 1 });
      if (!job) break;
      await boss.complete('ping', job.id, {});
      cycle.push(performance.now() - t0);
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
  await sleep(0);
  return [
    {
      figure: '19. queue overhead: enqueue',
      backend: 'Postgres (fresh DB)',
      median: `${fmt(median(enqueue), 1)} µs/job`,
      range: `${fmt(Math.min(...enqueue), 1)}..${fmt(Math.max(...enqueue), 1)}`,
      reps: `3 transactions of ${jobs} jobs`,
      notes: 'one insert of a batch inside the caller’s transaction, as a distributed run enqueues its symbols',
    },
    {
      figure: '19. queue overhead: take + complete',
      backend: 'Postgres (fresh DB)',
      median: `${fmt(median(cycle), 2)} ms/job`,
      range: `${fmt(Math.min(...cycle), 2)}..${fmt(Math.max(...cycle), 2)}`,
      reps: `${cycle.length} jobs, one at a time`,
      notes: 'fetch (FOR UPDATE SKIP LOCKED) and complete of an empty job: the queue’s round trips per job',
    },
  ];
}
