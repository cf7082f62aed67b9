/**
 * `optimise --distributed` (Postgres): a study's trials run as jobs on two spawned
 * `trader worker --queues trials` processes give exactly the trials of the same study run
 * locally (same seed, same workers), and a trial job enqueued twice and run twice stores one
 * row, the row a local study stored for that trial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueClient } from '../../queue/boss.ts';
import { trialJobId, trialsQueue } from '../../queue/queues.ts';
import { queueTrialSink } from '../../queue/trial-jobs.ts';
import { queueHandlers } from '../../orchestrator/worker/handlers.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import type { Db } from '../../store/db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { freshTarget, ok, spawnTrader, type Target } from '../helpers/cli.ts';
import { prepareDemo } from '../helpers/demo-template.ts';

// One market, one month, 2 windows of 4 trials in batches of 2: what is proved is where the
// trials run and what they store, not the search.
const study = [
  'optimise',
  '--strategy',
  'breakout',
  '--symbols',
  'BTC/USDT',
  '--from',
  '2024-01-01',
  '--to',
  '2024-02-01',
  '--trials',
  '8',
  '--walk-forward',
  '2',
  '--workers',
  '2',
  '--min-trades',
  '1',
  '--seed',
  '5',
  '--history',
  '200',
  '--json',
];

interface Trial {
  window_index: number;
  trial_no: number;
  params: Record<string, unknown>;
  score: number | null;
  infeasible: string | null;
  metrics: Record<string, unknown> | null;
}

describe('optimise --distributed (postgres)', () => {
  let t: Target;
  let db: Db;
  let local: string;
  const workers: ReturnType<typeof spawnTrader>[] = [];
  const trials = (id: string) =>
    db.query<Trial>(
      `select window_index, trial_no, params, score, infeasible, metrics from optimiser_trials where study_id = $1 order by 1, 2`,
      [id],
    );
  const runStudy = async (...extra: string[]) =>
    (JSON.parse((await ok(t, ...study, ...extra)).stdout) as { study_id: string }).study_id;

  beforeAll(async () => {
    t = await freshTarget('postgres');
    await prepareDemo(t);
    db = await openPostgresDb(t.url!);
    local = await runStudy();
  }, 240_000);
  afterAll(async () => {
    for (const w of workers) process.kill(w.pid, 'SIGKILL');
    await Promise.all(workers.map((w) => w.done));
    await db?.close();
    await t?.dispose();
  });

  it('stores one row for a trial job enqueued twice and run twice at once, the row the local study stored', async () => {
    const [kept] = await db.query<Trial & { strategy_id: string }>(
      `delete from optimiser_trials where study_id = $1 and window_index = 1 and trial_no = 3
       returning strategy_id, window_index, trial_no, params, score, infeasible, metrics`,
      [local],
    );
    const task = {
      study_id: local,
      strategy_id: kept!.strategy_id,
      window_index: 1,
      trial_no: 3,
      params: kept!.params as Record<string, number>,
    };
    const sink = queueTrialSink(queueClient(t.env), db);
    await sink.enqueue([task]);
    await sink.enqueue([task]);
    const jobs = await db.query<{ data: unknown }>(`select data from pgboss.job where name = $1 and id = $2`, [
      trialsQueue,
      trialJobId(task),
    ]);
    expect(jobs).toHaveLength(1);

    const [handler] = queueHandlers(db, { mode: 'TEST', queues: ['trials'], workerId: 'test', env: t.env });
    const job = { id: trialJobId(task), queue: trialsQueue, data: jobs[0]!.data, attempt: 1, output: null };
    const lanes = [new Sandbox(), new Sandbox()];
    try {
      // At once: each may pass the "already stored?" check before the other stores; the insert decides.
      const results = await Promise.all(lanes.map((lane, i) => handler!.handle({ ...job, attempt: i + 1 }, lane)));
      expect(results.map((r) => (r as { result: string }).result).sort()).toEqual(['already_stored', 'stored']);
      expect(await handler!.handle({ ...job, attempt: 3 }, lanes[0]!)).toEqual({ result: 'already_stored' });
    } finally {
      await Promise.all(lanes.map((l) => l.close()));
    }
    const rows = (await trials(local)).filter((r) => r.window_index === 1 && r.trial_no === 3);
    expect(rows).toEqual([{ window_index: 1, trial_no: 3, ...pick(kept!) }]);
    expect(await sink.failure([task])).toBeNull();
    await db.query('delete from pgboss.job where name = $1', [trialsQueue]);
  }, 120_000);

  it('gives the trials of the local study when two workers run them', async () => {
    const env = { ...t.env, TRADER_QUEUE_POLL_MS: '100' };
    for (let i = 0; i < 2; i++) workers.push(spawnTrader(['worker', '--concurrency', '1', '--queues', 'trials'], env));
    const distributed = await runStudy('--distributed');
    const same = (await trials(distributed)).map(({ window_index, trial_no, ...r }) => ({
      window_index,
      trial_no,
      ...pick(r),
    }));
    expect(same).toHaveLength(8);
    // Scores, not only refusals: the comparison covers replays that traded.
    expect(same.filter((r) => r.score !== null).length).toBeGreaterThan(0);
    expect(same).toEqual(
      (await trials(local)).map(({ window_index, trial_no, ...r }) => ({ window_index, trial_no, ...pick(r) })),
    );
    // Every trial was a job, run once, by a worker.
    const jobs = await db.query<{ state: string; n: number }>(
      `select state::text as state, count(*)::int as n from pgboss.job where name = $1 and data->>'study_id' = $2 group by 1`,
      [trialsQueue, distributed],
    );
    expect(jobs).toEqual([{ state: 'completed', n: 8 }]);
    const [done] = await db.query<{ n: number }>(
      `select coalesce(sum(jobs_done), 0)::int as n from queue_workers where 'trials' = any(queues)`,
    );
    expect(done!.n).toBe(8);
  }, 180_000);
});

/** What a trial's outcome is: its point, score and metrics, not how long it took (per_bar included: it is computed). */
function pick(r: Pick<Trial, 'params' | 'score' | 'infeasible' | 'metrics'>) {
  return { params: r.params, score: r.score, infeasible: r.infeasible, metrics: r.metrics };
}
