import { z } from 'zod';
import { type Queryable, queryRows } from '../../../store/db.ts';
import { RunRequest } from '../run-lock.ts';
import { RunHead } from '../run-summary.ts';
import { RunRow } from '../runs-repo.ts';

/** A distributed run's row as its workers, its closer and its waiter read it. */
export const DistributedRun = RunRow.extend({
  distributed: z.literal(true),
  options: RunRequest,
  // Null until the opener's prelude is done and its jobs are enqueued, in one transaction.
  prelude: RunHead.nullable(),
  deadline_at: z.date().nullable(),
  halt_requested: z.boolean(),
});
export type DistributedRun = z.infer<typeof DistributedRun>;

const columns =
  'run_id, pipeline_id, strategy_id, status, trigger, trigger_ref, exchange, timeframe, symbols, as_of, started_at, finished_at, distributed, options, prelude, deadline_at, halt_requested, summary, error';

/** The run's row, or undefined when no distributed run has that id. */
export async function loadDistributedRun(q: Queryable, runId: string): Promise<DistributedRun | undefined> {
  const [row] = await queryRows(
    q,
    DistributedRun,
    `select ${columns} from pipeline_runs where run_id = $1 and distributed`,
    [runId],
  );
  return row;
}
