import { TraderError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import { openDistributedRun } from '../engine/run/distributed/open-run.ts';
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
  requirePostgres(db, 'Distributed runs');
  const env = o.env ?? process.env;
  const mode = systemModeFromEnv(env);
  if (mode === 'LIVE')
    throw new TraderError(
      'CONFIG_INVALID',
      'Distributed runs are TEST (paper) only for now: LIVE orders from several workers need per-market order serialisation, which is not built yet; run LIVE without --distributed.',
    );
  const runId = await openDistributedRun(db, o, queueJobSink(queueClient(env), mode, env));
  if (!w.wait) return { run_id: runId, summary: null };
  return { run_id: runId, summary: await waitForRun(db, runId, w) };
}
