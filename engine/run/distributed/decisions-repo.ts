import { z } from 'zod';
import { type Db, type Queryable, queryRows } from '../../../store/db.ts';
import { withLiveLease } from '../../../trading/live/order-lease.ts';
import { hasSends } from '../live-run.ts';
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
  db: Db,
  run: Pick<DistributedRun, 'run_id' | 'pipeline_id' | 'as_of'>,
  who: Attempt,
  env?: NodeJS.ProcessEnv,
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
    async send(symbol, outcome, sendNow) {
      const label = `run ${run.run_id} on ${who.worker_id}`;
      await withLiveLease(db, symbol, { label, ...(env ? { env } : {}) }, sendNow);
      await finishSending(db, run.run_id, symbol, outcome);
    },
  };
}

const settledStatus = (step: SymbolSettled) =>
  step.outcome.outcome === 'error'
    ? 'error'
    : step.outcome.outcome === 'not_run'
      ? 'not_run'
      : hasSends(step.outcome)
        ? 'sending'
        : 'decided';

/** A 'sending' symbol settled with what became of its orders; false when it was not (or no longer) sending. */
export async function finishSending(q: Queryable, runId: string, symbol: string, outcome: SymbolOutcome) {
  const rows = await q.query(
    "update run_decisions set status = 'decided', outcome = $3, decided_at = now() where run_id = $1 and symbol = $2 and status = 'sending' returning 1",
    [runId, symbol, outcome],
  );
  return rows.length > 0;
}

/** The recorded outcome of a symbol whose LIVE orders wait to be sent (its job died after the commit), if it is one. */
export async function sendingOutcome(q: Queryable, runId: string, symbol: string): Promise<SymbolOutcome | undefined> {
  const rows = await queryRows(
    q,
    z.object({ outcome: SymbolOutcome }),
    "select outcome from run_decisions where run_id = $1 and symbol = $2 and status = 'sending'",
    [runId, symbol],
  );
  return rows[0]?.outcome;
}

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
  status: z.enum(['decided', 'error', 'not_run', 'sending']),
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
    'select symbol, status, strategy_id, outcome, errors, halt_run from run_decisions where run_id = $1',
    [runId],
  );
}

/** Symbols settled for good: a 'sending' one still waits for its LIVE orders. */
export async function settledCount(q: Queryable, runId: string): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    "select count(*)::int as n from run_decisions where run_id = $1 and status <> 'sending'",
    [runId],
  );
  return row?.n ?? 0;
}
