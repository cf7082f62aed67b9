import { errorMessage, toTraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import type { Db } from '../../store/db.ts';
import { systemModeFromEnv } from '../../trading/scope.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import type { RunOptions, RunSummary } from '../../engine/run/run-summary.ts';
import { planDue } from './due-ticks.ts';
import { type ScheduleRow, scheduleLabel, triggerRef } from './schedule-row.ts';
import { listSchedules } from './schedules-repo.ts';
import {
  claimTick,
  finishTick,
  recordSkipped,
  runOfTick,
  scheduleAnchor,
  setTickStudy,
  type TickEnd,
} from './tick-claims.ts';
import { optimise } from '../../optimise/optimise.ts';
import { scheduledStudyOptions } from './scheduled-study.ts';
import { releaseRequest, takeRequest } from './schedule-requests.ts';
import { isOperationSchedule, runScheduledOperation } from './operation-jobs.ts';

/** Runs a pipeline; runPipeline in production, the same wrapped by tests that need to act mid-run. */
export type PipelineRunner = (db: Db, options: RunOptions) => Promise<RunSummary>;

export interface DueOptions {
  /** The scheduler's clock: which ticks are due is decided against this, never the wall clock. */
  now: Date;
  env?: NodeJS.ProcessEnv;
  runner?: PipelineRunner;
  /** Once aborted, no further tick is started (a run in progress finishes). */
  signal?: AbortSignal;
  /** Only schedules of this job (a scheduler process of its own for long studies); absent: every job. */
  job?: ScheduleRow['job'];
}

/** What happened to one schedule at one wake. */
export type TickResult =
  | {
      schedule_id: number;
      name: string | null;
      tick: string;
      trigger_ref: string;
      outcome: 'ran';
      status: TickEnd['status'];
      run_id: string | null;
      /** A study tick's study. */
      study_id?: string | null;
      error: string | null;
    }
  | { schedule_id: number; name: string | null; tick: string; trigger_ref: string; outcome: 'taken' | 'busy' }
  | {
      schedule_id: number;
      name: string | null;
      tick: string;
      outcome: 'skipped';
      missed: number;
      first_missed: string;
    };

function runOptions(s: ScheduleRow, tick: Date, env: NodeJS.ProcessEnv): RunOptions {
  return {
    symbols: s.symbols,
    pipelineId: s.pipeline_id,
    strategyId: s.strategy_id,
    exchange: s.exchange,
    timeframe: s.timeframe,
    // A scheduled run decides as of its tick, even when it starts a little late.
    asOf: tick,
    trigger: 'schedule',
    triggerRef: triggerRef(s.schedule_id, tick),
    historyBars: s.history_bars,
    minBars: Math.min(s.history_bars, 100),
    offline: s.offline,
    maxAgeBars: 0,
    env,
  };
}

/** Claims one tick and, if this process got it, runs the pipeline for it and records and audits the outcome. */
export async function runScheduledTick(
  db: Db,
  s: ScheduleRow,
  tick: Date,
  options: Omit<DueOptions, 'now' | 'signal'> = {},
): Promise<TickResult> {
  const base = {
    schedule_id: s.schedule_id,
    name: s.name,
    tick: tick.toISOString(),
    trigger_ref: triggerRef(s.schedule_id, tick),
  };
  const claim = await claimTick(db, s, tick);
  if (claim !== 'claimed') {
    logger.info(
      { ...base },
      claim === 'taken'
        ? 'tick already claimed by another scheduler; skipped here'
        : 'a previous tick of this schedule is still running; not started',
    );
    return { ...base, outcome: claim };
  }
  logger.info({ ...base }, `${scheduleLabel(s)}: running tick`);
  const env = options.env ?? process.env;
  let end: TickEnd;
  let studyId: string | null = null;
  try {
    if (s.job === 'optimise') {
      const report = await optimise(
        db,
        { options: scheduledStudyOptions(s, s.job_args!, tick, env) },
        { onStart: (id) => setTickStudy(db, s, tick, (studyId = id)) },
      );
      end = {
        status: 'succeeded',
        run_id: null,
        study_id: report.study_id,
        error: null,
        risk_profile: report.request.profile,
      };
    } else if (isOperationSchedule(s)) {
      const done = await runScheduledOperation(db, s, tick, env);
      logger.info(
        { ...base, files: done.files, removed: done.removed, skipped: done.skipped },
        `${scheduleLabel(s)}: ${s.job} ${done.skipped ? 'skipped' : 'done'}`,
      );
      end = done.skipped
        ? { status: 'skipped', run_id: null, error: done.skipped, risk_profile: null }
        : { status: 'succeeded', run_id: null, error: null, risk_profile: null };
    } else {
      const summary = await (options.runner ?? runPipeline)(db, runOptions(s, tick, env));
      end = { status: summary.status, run_id: summary.run_id, error: null, risk_profile: summary.mode.risk_profile };
    }
  } catch (e) {
    const err = toTraderError(e);
    if (err.code === 'INTERNAL')
      logger.error({ ...base, err: errorMessage(e) }, 'scheduled run failed with an internal error');
    end = {
      status: 'error',
      run_id: s.job === 'run' ? await runOfTick(db, s, tick).catch(() => null) : null,
      study_id: studyId,
      error: `${err.code}: ${err.message}`,
      risk_profile: null,
    };
  }
  await finishTick(db, s, tick, end);
  logger.info(
    { ...base, status: end.status, run_id: end.run_id, study_id: end.study_id },
    `${scheduleLabel(s)}: tick ${end.status}`,
  );
  return {
    ...base,
    outcome: 'ran',
    status: end.status,
    run_id: end.run_id,
    ...(s.job === 'optimise' ? { study_id: end.study_id ?? null } : {}),
    error: end.error,
  };
}

/**
 * One wake of the scheduler: for each schedule of this process's system mode, in turn,
 * apply the missed-run policy (due-ticks.ts) at `now`: record skipped ticks, run the due
 * one, then a waiting "run now" request (schedule-requests.ts) as a tick at `now`. Runs of
 * one process never overlap; a tick another process claimed is left to it.
 */
export async function runDueTicks(db: Db, options: DueOptions): Promise<TickResult[]> {
  const env = options.env ?? process.env;
  const results: TickResult[] = [];
  for (const s of await listSchedules(db, systemModeFromEnv(env))) {
    if (options.signal?.aborted) break;
    if (options.job && s.job !== options.job) continue;
    const plan = planDue(s, await scheduleAnchor(db, s), options.now);
    if (plan.skipped) {
      const reason = plan.run
        ? `missed: only the newest due tick (${plan.run.toISOString()}) runs`
        : `missed: found more than ${s.grace_seconds} s after its time`;
      if (await recordSkipped(db, s, plan.skipped, reason)) {
        logger.warn(
          {
            schedule_id: s.schedule_id,
            missed: plan.skipped.count,
            first: plan.skipped.first.toISOString(),
            last: plan.skipped.last.toISOString(),
          },
          `${scheduleLabel(s)}: skipped missed ticks`,
        );
        results.push({
          schedule_id: s.schedule_id,
          name: s.name,
          tick: plan.skipped.last.toISOString(),
          outcome: 'skipped',
          missed: plan.skipped.count,
          first_missed: plan.skipped.first.toISOString(),
        });
      }
    }
    if (plan.run) results.push(await runScheduledTick(db, s, plan.run, { env, runner: options.runner }));
    if (options.signal?.aborted) break;
    // A "run now" request runs after the due tick, as a tick of its own just after it.
    const at = plan.run && plan.run.getTime() >= options.now.getTime() ? plan.run.getTime() + 1 : options.now.getTime();
    const taken = await takeRequest(db, s, new Date(at));
    if (!taken) continue;
    const result = await runScheduledTick(db, taken.schedule, new Date(at), { env, runner: options.runner });
    // Another tick of the schedule still runs: the request waits for the next wake.
    if (result.outcome !== 'ran') await releaseRequest(db, taken.request.request_id);
    results.push(result);
  }
  return results;
}
