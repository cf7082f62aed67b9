import { z } from 'zod';
import { queryRows, type Queryable } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { TradingScope } from '../scope.ts';

/**
 * The first LIVE order of every pipeline waits for a user's approval, even in full_auto:
 * until trading_live.first_order_approvals has a row for the pipeline, act-on-intents turns
 * its LIVE orders into proposals; approving one (review-proposal.ts) writes the row, and
 * from then on full_auto executes that pipeline's orders itself. `trader live init
 * --replace` clears the rows. TEST is never held.
 */

/** The pipeline a run belongs to (runs are shared across modes), or null for an unknown run. */
export async function pipelineOfRun(tx: Queryable, runId: string | null): Promise<string | null> {
  if (runId === null) return null;
  const [row] = await queryRows(
    tx,
    z.object({ pipeline_id: z.string() }),
    'select pipeline_id from pipeline_runs where run_id = $1',
    [runId],
  );
  return row?.pipeline_id ?? null;
}

/** Whether an order from this run must wait for approval: LIVE, and its pipeline has no approved live order yet. */
export async function firstLiveOrderPending(tx: Queryable, scope: TradingScope, runId: string): Promise<string | null> {
  if (scope.mode !== 'LIVE') return null;
  const pipeline = (await pipelineOfRun(tx, runId)) ?? 'unknown';
  const [row] = await queryRows(
    tx,
    z.object({ n: z.coerce.number() }),
    'select count(*) as n from trading_live.first_order_approvals where pipeline_id = $1',
    [pipeline],
  );
  return row!.n === 0 ? pipeline : null;
}

/** After a user approved a LIVE proposal that was executed: its pipeline may now trade in full_auto. */
export async function recordFirstLiveApproval(
  tx: Queryable,
  scope: TradingScope,
  o: { run_id: string | null; proposal_id: number },
): Promise<void> {
  if (scope.mode !== 'LIVE') return;
  const pipeline = await pipelineOfRun(tx, o.run_id);
  if (pipeline === null) return;
  const inserted = await tx.query(
    `insert into trading_live.first_order_approvals (pipeline_id, proposal_id) values ($1, $2)
     on conflict (pipeline_id) do nothing returning pipeline_id`,
    [pipeline, o.proposal_id],
  );
  if (inserted.length === 0) return;
  await recordAudit(tx, {
    mode: 'LIVE',
    actor: 'USER',
    action_type: 'LIVE_FIRST_ORDER_APPROVED',
    status: 'SUCCESS',
    details: { pipeline_id: pipeline, proposal_id: o.proposal_id },
    entity_type: 'pipeline',
    entity_id: pipeline,
  });
}

/** Pipelines whose first LIVE order was approved, for `trader status`. */
export async function approvedPipelines(tx: Queryable): Promise<string[]> {
  const rows = await queryRows(
    tx,
    z.object({ pipeline_id: z.string() }),
    'select pipeline_id from trading_live.first_order_approvals order by pipeline_id',
  );
  return rows.map((r) => r.pipeline_id);
}
