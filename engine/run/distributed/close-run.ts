import { logger } from '../../../core/logger.ts';
import type { Db } from '../../../store/db.ts';
import { tradingScope } from '../../../trading/scope.ts';
import { closeRunIn } from '../run-lock.ts';
import { buildRunSummary, notRunStep, type RunSummary } from '../run-summary.ts';
import { countStrategyFailures } from '../strategy-failures.ts';
import { settledSymbols } from './decisions-repo.ts';
import { loadDistributedRun } from './distributed-run.ts';

export const deadlineReason = 'no worker decided it before the run’s deadline';

/**
 * Closes a distributed run once every symbol is settled (a LIVE symbol once its orders were
 * sent), or its deadline passed (the symbols left are then not run): the summary is built from run_decisions in the run's symbol order,
 * exactly as a local run builds it. Any of them may call it: the worker that settled the last
 * symbol, the dead-letter handler, a worker's sweep, the waiter. The row is taken FOR UPDATE,
 * which waits for symbols being committed (they hold it FOR SHARE); the first closer wins and
 * the others find the run closed. Returns the summary when this call closed the run.
 */
export async function maybeCloseRun(db: Db, runId: string, now = new Date()): Promise<RunSummary | null> {
  // One round trip for the common answer (not yet): every symbol job asks.
  const [peek] = await db.query<{ due: boolean; past_deadline: boolean }>(
    `select (select count(*) from run_decisions d where d.run_id = r.run_id and d.status <> 'sending')
              >= cardinality(r.symbols) as due,
            coalesce(r.deadline_at <= $2, false) as past_deadline
     from pipeline_runs r where r.run_id = $1 and r.distributed and r.status = 'running' and r.prelude is not null`,
    [runId, now],
  );
  if (!peek || !(peek.due || peek.past_deadline)) return null;
  const pastDeadline = peek.past_deadline;
  const closed = await db.transaction(async (tx) => {
    await tx.query('select 1 from pipeline_runs where run_id = $1 for update', [runId]);
    const run = await loadDistributedRun(tx, runId);
    if (!run || run.status !== 'running' || !run.prelude) return null;
    const rows = await settledSymbols(tx, runId);
    const settled = new Map(rows.map((r) => [r.symbol, r]));
    // At the deadline a symbol still sending keeps its recorded outcome: its orders are PENDING_SUBMIT, found by recovery.
    if (rows.filter((r) => r.status !== 'sending').length < run.symbols.length && !pastDeadline) return null;
    const steps = run.symbols.map((symbol) => {
      const r = settled.get(symbol);
      return r ? { outcome: r.outcome, errors: r.errors, haltRun: r.halt_run } : notRunStep(symbol, deadlineReason);
    });
    const head = run.prelude;
    const summary = buildRunSummary(head, steps, Math.max(0, now.getTime() - run.started_at.getTime()));
    await closeRunIn(tx, { run_id: runId, mode: head.mode.system_mode }, summary.status, summary, null);
    return { summary, head, steps, strategies: run.symbols.map((s) => settled.get(s)?.strategy_id ?? null) };
  });
  if (!closed) return null;
  const { summary, head } = closed;
  // After the close, once: a racing closer found the run closed and counts nothing.
  await countStrategyFailures(db, tradingScope(head.mode.system_mode), head, closed.steps, closed.strategies);
  logger.info({ run_id: runId, status: summary.status }, 'distributed run finished');
  return summary;
}

/** Closes every distributed run past its deadline (a worker's sweep): symbols no worker decided are not run. */
export async function closeOverdueRuns(db: Db): Promise<number> {
  const overdue = await db.query<{ run_id: string }>(
    "select run_id from pipeline_runs where distributed and status = 'running' and prelude is not null and deadline_at <= now()",
  );
  let closed = 0;
  for (const r of overdue) if (await maybeCloseRun(db, r.run_id)) closed++;
  return closed;
}
