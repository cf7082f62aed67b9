import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';
import { type Queryable, queryRows } from '../store/db.ts';
import { QUEUE_SCHEMA } from './queue-ddl.ts';

/**
 * Reading the job queue back for `trader jobs`: pg-boss's live jobs (`pgboss.job`) and the
 * finished ones it has moved aside (`pgboss.archive`, the same columns plus archived_on), as
 * one list, newest first. Plain SQL through our connection; pg-boss itself is not started.
 */

export const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export const JobState = z.enum(jobStates);
export type JobState = z.infer<typeof JobState>;

const StoredJob = z.object({
  id: z.string(),
  queue: z.string(),
  state: JobState,
  data: z.unknown(),
  run_id: z.string().nullable(),
  priority: z.number(),
  retry_count: z.number(),
  retry_limit: z.number(),
  expire_seconds: z.number(),
  created_on: z.date(),
  start_after: z.date(),
  started_on: z.date().nullable(),
  completed_on: z.date().nullable(),
  output: z.unknown(),
  dead_letter: z.string().nullable(),
  archived_on: z.date().nullable(),
});

/** A job as `trader jobs` shows it: `error` is the last failure's message (failed jobs, and retry ones waiting for their next attempt). */
export const JobRow = StoredJob.extend({ error: z.string().nullable() });
export type JobRow = z.infer<typeof JobRow>;

/** The message pg-boss stored for a failure: ours (`{ message }`), its timeout (`{ value: { message } }`) or a bare value. */
export function failureMessage(output: unknown): string | null {
  const o = output as { message?: unknown; value?: unknown } | null | undefined;
  if (typeof o?.message === 'string') return o.message;
  const v = o?.value as { message?: unknown } | string | undefined;
  if (typeof v === 'string') return v;
  if (typeof v?.message === 'string') return v.message;
  return null;
}

const withError = (j: z.infer<typeof StoredJob>): JobRow => ({
  ...j,
  output: j.output ?? null,
  error: j.state === 'failed' || j.state === 'retry' ? failureMessage(j.output) : null,
});

const columns = `id, name as queue, state::text as state, data, data->>'run_id' as run_id, priority,
  retry_count, retry_limit, extract(epoch from expire_in)::int as expire_seconds, created_on, start_after,
  started_on, completed_on, output, dead_letter`;

/** Every job, live or archived; a live job comes before an archived copy of the same id. */
const allJobs = `(select ${columns}, null::timestamptz as archived_on from ${QUEUE_SCHEMA}.job
  union all select ${columns}, archived_on from ${QUEUE_SCHEMA}.archive) j`;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job id argument, else one sentence. */
export function jobId(raw: string): string {
  if (!uuid.test(raw))
    throw new TraderError('BAD_INPUT', `${quote(raw)} is not a job id (a UUID); see \`trader jobs list\`.`);
  return raw.toLowerCase();
}

/** Which jobs `trader jobs list` shows: newest first by created_on. */
export const JobFilter = z.object({
  queue: z.string().min(1).optional(),
  state: JobState.optional(),
  run_id: z.string().regex(uuid).optional(),
  limit: z.number().int().min(1).default(50),
});
export type JobFilter = z.input<typeof JobFilter>;

export async function queueNames(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ name: string }>(`select name from ${QUEUE_SCHEMA}.queue order by name`);
  return rows.map((r) => r.name);
}

export async function listJobs(q: Queryable, filter: JobFilter): Promise<JobRow[]> {
  const f = JobFilter.parse(filter);
  if (f.queue !== undefined) {
    const names = await queueNames(q);
    if (!names.includes(f.queue))
      throw new TraderError('BAD_INPUT', `There is no queue ${quote(f.queue)}; the queues are ${names.join(', ')}.`);
  }
  const rows = await queryRows(
    q,
    StoredJob,
    `select * from ${allJobs}
     where ($1::text is null or queue = $1) and ($2::text is null or state = $2) and ($3::text is null or run_id = $3)
     order by created_on desc, id desc limit $4`,
    [f.queue ?? null, f.state ?? null, f.run_id?.toLowerCase() ?? null, f.limit],
  );
  return rows.map(withError);
}

/** One job by id (the live one when an archived copy exists too), or undefined. */
export async function findJob(q: Queryable, id: string): Promise<JobRow | undefined> {
  const [row] = await queryRows(
    q,
    StoredJob,
    `select * from ${allJobs} where id = $1::uuid order by archived_on nulls first, created_on desc limit 1`,
    [jobId(id)],
  );
  return row ? withError(row) : undefined;
}

/** One job by id, else NOT_FOUND with the command that lists them. */
export async function getJob(q: Queryable, id: string): Promise<JobRow> {
  const job = await findJob(q, id);
  if (!job) throw new TraderError('NOT_FOUND', `There is no job ${jobId(id)}; see \`trader jobs list\`.`);
  return job;
}

/** The live (not archived) row of a job, locked for the rest of the caller's transaction; undefined when none. */
export async function lockLiveJob(tx: Queryable, id: string): Promise<{ queue: string; state: JobState } | undefined> {
  const [row] = await queryRows(
    tx,
    z.object({ queue: z.string(), state: JobState }),
    `select name as queue, state::text as state from ${QUEUE_SCHEMA}.job where id = $1 order by created_on desc limit 1 for update`,
    [jobId(id)],
  );
  return row;
}
