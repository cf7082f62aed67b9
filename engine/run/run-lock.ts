import os from 'node:os';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { publishEvent } from '../../trading/events/bus-events.ts';
import type { SystemMode } from '../../trading/scope.ts';
import { isAlive } from '../../store/lock-file.ts';
import { traderEnv } from '../../core/env.ts';
import { quote } from '../../core/quote.ts';

/**
 * The run lock is the run's own row: a partial unique index allows one 'running' row
 * per pipeline. Works on PGlite and through Supabase's transaction pooler, where
 * advisory locks do not. A running row whose process is gone is reaped as crashed.
 */

export interface NewRun {
  run_id: string;
  pipeline_id: string;
  strategy_id: string | null;
  trigger: string;
  trigger_ref: string | null;
  exchange: string;
  timeframe: string;
  symbols: string[];
  as_of: Date;
}

const RunningRow = z.object({
  run_id: z.string(),
  pid: z.number().nullable(),
  host: z.string().nullable(),
  started_at: z.date(),
  heartbeat_at: z.date(),
});

/** A run that has not shown a sign of life for this long is considered crashed. */
export function staleAfterSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return traderEnv(env).TRADER_RUN_STALE_SECONDS;
}

/**
 * Marks 'running' rows whose process is gone (same host) or silent past the stale limit as
 * crashed: of one pipeline before a run takes its lock, of every pipeline before runs are
 * read (`runs list|show`, `GET /runs`), so a killed run is shown as crashed at once.
 */
export async function reapCrashedRuns(q: Queryable, pipelineId: string | null = null): Promise<void> {
  const running = await queryRows(
    q,
    RunningRow,
    "select run_id, pid, host, started_at, heartbeat_at from pipeline_runs where ($1::text is null or pipeline_id = $1) and status = 'running'",
    [pipelineId],
  );
  const host = os.hostname();
  for (const r of running) {
    const dead = r.host === host && r.pid !== null && !isAlive(r.pid);
    const silent = Date.now() - r.heartbeat_at.getTime() > staleAfterSeconds() * 1000;
    if (!dead && !silent) continue;
    const why = dead ? `its process ${r.pid} on ${host} is gone` : `no heartbeat for over ${staleAfterSeconds()} s`;
    await q.query(
      "update pipeline_runs set status = 'crashed', finished_at = now(), error = $2 where run_id = $1 and status = 'running'",
      [r.run_id, `reaped: ${why}`],
    );
    logger.warn({ run_id: r.run_id }, `reaped a stale running run as crashed: ${why}`);
  }
}

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string }).code === '23505';
}

/** Writes the run row before any work starts; throws LOCKED naming the holder if a run is in progress. */
export async function openRun(q: Queryable, run: NewRun): Promise<void> {
  await reapCrashedRuns(q, run.pipeline_id);
  try {
    await q.query(
      `insert into pipeline_runs (run_id, pipeline_id, strategy_id, status, trigger, trigger_ref, exchange, timeframe, symbols, as_of, pid, host)
       values ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        run.run_id,
        run.pipeline_id,
        run.strategy_id,
        run.trigger,
        run.trigger_ref,
        run.exchange,
        run.timeframe,
        run.symbols,
        run.as_of,
        process.pid,
        os.hostname(),
      ],
    );
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const [holder] = await queryRows(
      q,
      RunningRow,
      "select run_id, pid, host, started_at, heartbeat_at from pipeline_runs where pipeline_id = $1 and status = 'running'",
      [run.pipeline_id],
    );
    throw new TraderError(
      'LOCKED',
      `Pipeline ${quote(run.pipeline_id)} is already running (run ${holder?.run_id ?? '?'}, process ${holder?.pid ?? '?'} on ${holder?.host ?? '?'}, since ${holder?.started_at.toISOString() ?? '?'}); wait for it to finish.`,
    );
  }
}

export async function heartbeat(q: Queryable, runId: string): Promise<void> {
  await q.query('update pipeline_runs set heartbeat_at = now() where run_id = $1', [runId]);
}

/** Closes a run with its outcome and publishes RUN_FINISHED on the event bus, together. */
export async function closeRun(
  db: Db,
  run: { run_id: string; mode: SystemMode },
  status: string,
  summary: unknown,
  error: string | null,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      'update pipeline_runs set status = $2, summary = $3, error = $4, finished_at = now() where run_id = $1',
      [run.run_id, status, summary, error],
    );
    await publishEvent(tx, {
      mode: run.mode,
      event_type: 'RUN_FINISHED',
      payload: { status, entity_type: 'run', entity_id: run.run_id },
    });
  });
}
