import { z } from 'zod';
import { type Queryable, queryRows } from '../../../store/db.ts';
import type { SymbolLedger } from '../run-context.ts';
import { type SymbolSettled, RunSummary } from '../run-summary.ts';
import { SymbolOutcome } from '../run-types.ts';
import type { DistributedRun } from './distributed-run.ts';

/**
 * run_decisions: one row per symbol of a distributed run, unique per (run, symbol) and per
 * (pipeline, symbol, tick). The row is inserted by the first statement of the transaction
 * that records the symbol's decision: a second attempt (a retried job whose first attempt
 * committed, or one racing it) waits on the unique index until the first commits, finds the
 * row, and rolls back without writing a log, a proposal or an order.
 */

/** Thrown inside a symbol's transaction when another attempt decided it, or the run was closed meanwhile: nothing of it is written. */
export class AlreadySettled extends Error {
  constructor(readonly why: 'decided' | 'run_closed') {
    super(why === 'decided' ? 'the symbol was already decided by another attempt' : 'the run was closed meanwhile');
  }
}

export interface Attempt {
  worker_id: string;
  attempt: number;
}

export function symbolLedger(
  run: Pick<DistributedRun, 'run_id' | 'pipeline_id' | 'as_of'>,
  who: Attempt,
): SymbolLedger {
  return {
    async claim(tx, symbol, strategyId) {
      // FOR SHARE: the run's closer (FOR UPDATE) waits for this symbol's commit; once the run is closed nothing more is written.
      const open = await tx.query("select 1 from pipeline_runs where run_id = $1 and status = 'running' for share", [
        run.run_id,
      ]);
      if (open.length === 0) throw new AlreadySettled('run_closed');
      const claimed = await tx.query(
        `insert into run_decisions (run_id, symbol, pipeline_id, tick, strategy_id, status, outcome, worker_id, attempt)
         values ($1, $2, $3, $4, $5, 'decided', '{}', $6, $7) on conflict do nothing returning symbol`,
        [run.run_id, symbol, run.pipeline_id, run.as_of, strategyId, who.worker_id, who.attempt],
      );
      if (claimed.length === 0) throw new AlreadySettled('decided');
    },
    async settle(tx, symbol, step) {
      await tx.query(
        'update run_decisions set status = $3, outcome = $4, errors = $5, halt_run = $6, decided_at = now() where run_id = $1 and symbol = $2',
        [run.run_id, symbol, settledStatus(step), step.outcome, step.errors, step.haltRun],
      );
    },
  };
}

const settledStatus = (step: SymbolSettled) =>
  step.outcome.outcome === 'error' ? 'error' : step.outcome.outcome === 'not_run' ? 'not_run' : 'decided';

/** Settles a symbol with `step` in its own transaction (not run, or failed for good); false when it was already settled. */
export async function settleSymbol(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  ledger: SymbolLedger,
  step: SymbolSettled,
): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      await ledger.claim(tx, step.outcome.symbol, null);
      await ledger.settle(tx, step.outcome.symbol, step);
    });
    return true;
  } catch (e) {
    if (e instanceof AlreadySettled) return false;
    throw e;
  }
}

const SettledRow = z.object({
  symbol: z.string(),
  strategy_id: z.string().nullable(),
  outcome: SymbolOutcome,
  errors: RunSummary.shape.errors,
  halt_run: z.boolean(),
});

/** The run's settled symbols with the strategy that decided each. */
export async function settledSymbols(q: Queryable, runId: string) {
  return queryRows(
    q,
    SettledRow,
    'select symbol, strategy_id, outcome, errors, halt_run from run_decisions where run_id = $1',
    [runId],
  );
}

export async function settledCount(q: Queryable, runId: string): Promise<number> {
  const [row] = await q.query<{ n: number }>('select count(*)::int as n from run_decisions where run_id = $1', [runId]);
  return row?.n ?? 0;
}
