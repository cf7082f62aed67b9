import { errorMessage } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import type { Db } from '../../store/db.ts';
import { systemModeFromEnv } from '../../trading/scope.ts';
import { nextTick } from './cron.ts';
import { type PipelineRunner, runDueTicks, type TickResult } from './run-due.ts';
import { listSchedules } from './schedules-repo.ts';
import type { ScheduleRow } from './schedule-row.ts';

/**
 * `trader schedule run`: wake, run what is due, sleep until the next tick (or the poll
 * interval, so added and removed schedules are noticed), until stopped. The database is
 * opened for each wake and closed before sleeping, so between ticks an embedded database
 * is free for other `trader` commands. A stop request lets a running run finish.
 */

export interface SchedulerOptions {
  /** Opens the database for one wake (the CLI's also checks it is migrated). */
  openDb: () => Promise<Db>;
  env?: NodeJS.ProcessEnv;
  /** Aborting it stops the loop after the run in progress, if any. */
  signal: AbortSignal;
  /** Run the ticks due now and return. */
  once?: boolean;
  now?: () => Date;
  /** Waits `ms` or until `signal` aborts, whichever comes first. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The longest sleep, so schedule changes are seen (default 60 s). */
  pollMs?: number;
  /** How long to wait after a wake failed (database unreachable or locked) before trying again (default 15 s). */
  retryMs?: number;
  runner?: PipelineRunner;
  /** Only schedules of this job; absent: every job. */
  job?: ScheduleRow['job'];
  onTick?: (r: TickResult) => void;
  /** Runs at every wake before the due ticks (LIVE: reconciliation when it is due). */
  beforeTicks?: (db: Db) => Promise<void>;
}

export interface SchedulerReport {
  wakes: number;
  ticks: TickResult[];
}

export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The earliest next tick of this mode's schedules after `now`, or null when there are none. */
async function nextWake(db: Db, env: NodeJS.ProcessEnv, now: Date, job?: ScheduleRow['job']): Promise<Date | null> {
  let earliest: Date | null = null;
  for (const s of await listSchedules(db, systemModeFromEnv(env))) {
    if (job && s.job !== job) continue;
    const t = nextTick(s.cron, s.timezone, now);
    if (earliest === null || t < earliest) earliest = t;
  }
  return earliest;
}

/** Keeps at most this many tick results for the final report. */
const keptTicks = 1000;

export async function runScheduler(o: SchedulerOptions): Promise<SchedulerReport> {
  const env = o.env ?? process.env;
  const now = o.now ?? (() => new Date());
  const sleep = o.sleep ?? sleepUnlessAborted;
  const pollMs = o.pollMs ?? 60_000;
  const report: SchedulerReport = { wakes: 0, ticks: [] };
  let started = false;
  while (!o.signal.aborted) {
    let wakeAt: Date | null = null;
    try {
      const db = await o.openDb();
      try {
        report.wakes++;
        await o.beforeTicks?.(db);
        const results = await runDueTicks(db, { now: now(), env, runner: o.runner, signal: o.signal, job: o.job });
        for (const r of results) o.onTick?.(r);
        report.ticks.push(...results);
        report.ticks.splice(0, Math.max(0, report.ticks.length - keptTicks));
        if (!o.once) wakeAt = await nextWake(db, env, now(), o.job);
        started = true;
      } finally {
        await db.close();
      }
    } catch (e) {
      // The first wake's error is the command's error (not migrated, bad mode...); later ones are retried.
      if (o.once || !started) throw e;
      logger.warn(
        { err: errorMessage(e) },
        `scheduler wake failed; retrying in ${Math.round((o.retryMs ?? 15_000) / 1000)} s`,
      );
      await sleep(o.retryMs ?? 15_000, o.signal);
      continue;
    }
    if (o.once || o.signal.aborted) break;
    const wait = wakeAt === null ? pollMs : Math.min(pollMs, Math.max(0, wakeAt.getTime() - now().getTime()));
    await sleep(wait, o.signal);
  }
  return report;
}
