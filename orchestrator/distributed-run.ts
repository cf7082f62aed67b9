import type { Db } from '../store/db.ts';
import { openDistributedRun } from '../engine/run/distributed/open-run.ts';
import { withRateGate } from '../market/exchange/rate-gate.ts';
import { sharedGate } from '../market/exchange/rate-buckets-repo.ts';
import { waitForRun, type WaitOptions } from '../engine/run/distributed/wait-run.ts';
import type { RunOptions, RunSummary } from '../engine/run/run-summary.ts';
import { queueClient } from '../queue/boss.ts';
import { queueJobSink } from '../queue/enqueue.ts';
import { requirePostgres } from '../queue/require-postgres.ts';
import { systemModeFromEnv } from '../trading/scope.ts';

/**
 * `run --distributed` (and any adapter that starts one): opens the run with one job per
 * symbol on the queue, then waits for its summary, the same document a local run returns,
 * unless `wait` is false (the run id comes back at once; `trader runs show` has the rest).
 */
export async function startDistributedRun(
  db: Db,
  o: RunOptions,
  w: { wait: false } | ({ wait: true } & WaitOptions),
): Promise<{ run_id: string; summary: RunSummary | null }> {
  const env = o.env ?? process.env;
  checkDistributable(db);
  const mode = systemModeFromEnv(env);
  // The opener's exchange calls (the LIVE prelude) share the workers' allowance.
  const runId = await withRateGate(sharedGate(db), () =>
    openDistributedRun(db, o, queueJobSink(queueClient(env), mode, env)),
  );
  if (!w.wait) return { run_id: runId, summary: null };
  return { run_id: runId, summary: await waitForRun(db, runId, w) };
}

/**
 * `schedule run --distributed`: each tick's run is opened for the workers and the scheduler
 * waits for its summary, so the tick is finished and audited as a local one is. The tick is
 * claimed once across schedulers, and a tick runs distributed once.
 */
export const distributedRunner = async (db: Db, o: RunOptions): Promise<RunSummary> =>
  (await startDistributedRun(db, o, { wait: true })).summary!;

/** What `--distributed` refuses before a long-running process starts: the embedded database. */
export function checkDistributable(db: Db): void {
  requirePostgres(db, 'Distributed runs');
}
