import { createRequire } from 'node:module';

/**
 * pg-boss's own DDL for its schema, as the pinned package prints it, without the wrapper it
 * runs it in (BEGIN, lock timeouts, its advisory lock, COMMIT): our migration runner already
 * applies each file in one transaction. The migration 20261206100000_job_queue.sql starts
 * with exactly this text; tests/queue/queue-schema.test.ts fails when the pinned package's
 * DDL and the file part ways (an upgrade needs a new migration from getMigrationPlans).
 */
export const QUEUE_SCHEMA = 'pgboss';

export function queueSchemaDdl(): string {
  const require = createRequire(import.meta.url);
  const PgBoss = require('pg-boss') as { getConstructionPlans(schema: string): string };
  const lines = PgBoss.getConstructionPlans(QUEUE_SCHEMA).split('\n');
  const start = lines.findIndex((l) => /CREATE SCHEMA/.test(l));
  const end = lines.map((l) => l.trim()).lastIndexOf('COMMIT;');
  const body = lines.slice(start, end);
  return `${body
    .map((l) => l.trimEnd())
    .join('\n')
    .trim()}\n`;
}
