import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../core/logger.ts';
import { throwIfStopping } from '../sandbox/stop.ts';
import { isConnectionLost } from '../store/connection-lost.ts';
import type { Db } from '../store/db.ts';
import { batchOutcome, type BatchOutcome, type BatchQueue, type BatchTask } from './backtest-batch.ts';
import { batchReports } from './backtest-repo.ts';
import type { BacktestReport } from './report-schema.ts';

export interface BatchWait {
  pollMs?: number;
  /** How long the database may be unreachable (a restart) before the wait gives up. */
  outageMs?: number;
  /** How long with nothing stored and no job running before a warning says workers may be missing. */
  quietMs?: number;
  onProgress?: (settled: number, total: number) => void;
}

/**
 * `backtest --each --distributed`: one job per task on the queue, then waits until each
 * backtest is stored in its slot (by a worker, with the same code as `--each` here) or its job
 * failed for good, whose sentence it keeps: a symbol that cannot run is reported, not waited
 * for. Polls the batch's rows, rides out a database restart as the other waiters do
 * (optimise/wait-trials.ts), and stops on SIGINT or SIGTERM; the jobs stay queued, and the
 * backtests the workers store are there for `trader backtest list`.
 */
export async function runBatchOnWorkers(
  db: Db,
  queue: BatchQueue,
  tasks: readonly BatchTask[],
  o: BatchWait = {},
): Promise<BatchOutcome> {
  const outageMs = o.outageMs ?? 120_000;
  const quietMs = o.quietMs ?? 60_000;
  await queue.enqueue(tasks);
  const reports = new Map<number, BacktestReport>();
  let failed = new Map<number, string>();
  const waiting = () => tasks.filter((t) => !reports.has(t.batch_index));
  let lastContact = Date.now();
  let lastActivity = Date.now();
  let warned = false;
  for (;;) {
    throwIfStopping();
    try {
      const stored = await batchReports(
        db,
        tasks[0]!.batch_id,
        waiting().map((t) => t.batch_index),
      );
      for (const [index, report] of stored) reports.set(index, report);
      const status = await queue.status(waiting());
      failed = status.failed;
      if (stored.size > 0 || status.running > 0) lastActivity = Date.now();
      lastContact = Date.now();
    } catch (e) {
      if (!isConnectionLost(e) || Date.now() - lastContact > outageMs) throw e;
      logger.warn({ batch_id: tasks[0]!.batch_id }, 'database unreachable while waiting for backtests; trying again');
    }
    o.onProgress?.(reports.size + failed.size, tasks.length);
    if (reports.size + failed.size === tasks.length) return batchOutcome(tasks, reports, failed);
    if (!warned && Date.now() - lastActivity > quietMs) {
      warned = true;
      logger.warn(
        { batch_id: tasks[0]!.batch_id, waiting: waiting().length },
        'no backtest stored or running for a minute: is a `trader worker` serving the backtests queue running?',
      );
    }
    await sleep(o.pollMs ?? 500);
  }
}
