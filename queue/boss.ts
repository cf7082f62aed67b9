import PgBoss from 'pg-boss';
import { TraderError } from '../core/errors.ts';
import { traderEnv } from '../core/env.ts';
import { logger } from '../core/logger.ts';
import { QUEUE_SCHEMA } from './queue-ddl.ts';

export type Boss = PgBoss;

/**
 * pg-boss on the installation's Postgres, through its own small `pg` pool (pg-boss speaks
 * `pg`; our postgres.js connections stay ours). The schema is ours to migrate (migrate:
 * false, it only checks the version), its cron is off (trader has its own scheduler), and
 * only started queues (workers) supervise: maintenance fails jobs whose worker went silent
 * past their expiry, so they retry elsewhere, and archives finished ones. Unstarted, it
 * opens no connection: its calls then go through ours (`{ db: bossTx(q) }`).
 */
export function queueClient(env: NodeJS.ProcessEnv): Boss {
  const config = traderEnv(env);
  if (!config.DATABASE_URL) throw new TraderError('CONFIG_INVALID', 'The job queue needs Postgres: set DATABASE_URL.');
  return new PgBoss({
    connectionString: config.DATABASE_URL,
    schema: QUEUE_SCHEMA,
    application_name: 'trader-queue',
    max: config.TRADER_QUEUE_POOL_MAX,
    migrate: false,
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: config.TRADER_QUEUE_MAINTENANCE_SECONDS,
    // Finished jobs stay visible to `trader jobs` for a day, failed ones for 30 days.
    archiveCompletedAfterSeconds: 86_400,
    archiveFailedAfterSeconds: 30 * 86_400,
    deleteAfterDays: 30,
  });
}

/** A worker's queue: started, with its pool and maintenance. */
export async function startBoss(env: NodeJS.ProcessEnv): Promise<Boss> {
  const boss = queueClient(env);
  // A Postgres restart makes idle pool clients emit errors: without a listener they would crash the process.
  boss.on('error', (e: Error) => logger.warn({ err: e.message }, 'job queue connection error; retrying'));
  try {
    await boss.start();
  } catch (e) {
    await boss.stop({ graceful: false, wait: false }).catch(() => {});
    throw new TraderError('TRANSIENT', `The job queue could not start: ${(e as Error).message}.`, { cause: e });
  }
  return boss;
}
