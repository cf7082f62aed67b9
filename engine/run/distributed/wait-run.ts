import { setTimeout as sleep } from 'node:timers/promises';
import { TraderError } from '../../../core/errors.ts';
import { logger } from '../../../core/logger.ts';
import { isConnectionLost } from '../../../store/connection-lost.ts';
import type { Db } from '../../../store/db.ts';
import { throwIfStopping } from '../../../sandbox/stop.ts';
import { RunSummary } from '../run-summary.ts';
import { maybeCloseRun } from './close-run.ts';
import { settledCount } from './decisions-repo.ts';
import { loadDistributedRun } from './distributed-run.ts';

export interface WaitOptions {
  pollMs?: number;
  /** How long the database may be unreachable (a restart) before the wait gives up. */
  outageMs?: number;
  onProgress?: (settled: number, total: number) => void;
}

/**
 * Waits for a distributed run's summary: polls its row (and closes it at its deadline,
 * should no worker be left to), rides out a database restart, and returns the summary its
 * closer stored, the same document a local run returns.
 */
export async function waitForRun(db: Db, runId: string, o: WaitOptions = {}): Promise<RunSummary> {
  const pollMs = o.pollMs ?? 250;
  const outageMs = o.outageMs ?? 120_000;
  let lastContact = Date.now();
  for (;;) {
    throwIfStopping();
    try {
      const run = await loadDistributedRun(db, runId);
      if (!run) throw new TraderError('NOT_FOUND', `No distributed run ${runId}; see \`trader runs list\`.`);
      if (run.status !== 'running') return closedSummary(run.run_id, run.summary, run.error);
      const closed = await maybeCloseRun(db, runId);
      if (closed) return closed;
      o.onProgress?.(await settledCount(db, runId), run.symbols.length);
      lastContact = Date.now();
    } catch (e) {
      if (!isConnectionLost(e) || Date.now() - lastContact > outageMs) throw e;
      logger.warn({ run_id: runId }, 'database unreachable while waiting for the run; trying again');
    }
    await sleep(pollMs);
  }
}

function closedSummary(runId: string, summary: unknown, error: string | null): RunSummary {
  const parsed = RunSummary.safeParse(summary);
  if (parsed.success) return parsed.data;
  throw new TraderError('INTERNAL', `Run ${runId} ended without a summary${error ? `: ${error}` : ''}.`);
}
