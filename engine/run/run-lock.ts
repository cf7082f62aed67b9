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
  /** A distributed run's request as its workers need it; null for a run decided in this process. */
  request: RunRequest | null;
}

/** What a worker needs of a distributed run's request besides the row's own columns. */
export const RunRequest = z.object({
  history_bars: z.number().int(),
  min_bars: z.number().int(),
  offline: z.boolean(),
  max_age_bars: z.number().int(),
});
export type RunRequest = z.infer<typeof RunRequest>;

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
    // A distributed run whose jobs are enqueued lives on in its workers after its opener exits: it ends at its deadline (close-run.ts).
    "select run_id, pid, host, started_at, heartbeat_at from pipeline_runs where ($1::text is null or pipeline_id = $1) and status = 'running' and not (distributed and prelude is not null)",
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
      `insert into pipeline_runs (run_id, pipeline_id, strategy_id, status, trigger, trigger_ref, exchange, timeframe, symbols, as_of, pid, host, distributed, options)
       values ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
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
        run.request !== null,
        run.request,
      ],
    );
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    if ((e as { constraint_name?: string }).constraint_name === 'pipeline_runs_one_distributed_tick')
      throw new TraderError(
        'LOCKED',
        `Pipeline ${quote(run.pipeline_id)} was already run as of ${run.as_of.toISOString()} by a distributed run: each tick is decided once; give another --as-of.`,
      );
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
  await db.transaction((tx) => closeRunIn(tx, run, status, summary, error));
}

/** closeRun inside the caller's transaction (a distributed run's closer holds its row). */
export async function closeRunIn(
  tx: Queryable,
  run: { run_id: string; mode: SystemMode },
  status: string,
  summary: unknown,
  error: string | null,
): Promise<void> {
  await tx.query(
    'update pipeline_runs set status = $2, summary = $3, error = $4, finished_at = now() where run_id = $1',
    [run.run_id, status, summary, error],
  );
  await publishEvent(tx, {
    mode: run.mode,
    event_type: 'RUN_FINISHED',
    payload: { status, entity_type: 'run', entity_id: run.run_id },
  });
}
