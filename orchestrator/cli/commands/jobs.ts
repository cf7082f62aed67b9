import type { Command } from 'commander';
import { bounds } from '../../../core/bounds.ts';
import { quote, shortText } from '../../../core/quote.ts';
import type { Db } from '../../../store/db.ts';
import { assertMigrated } from '../../../store/migrate.ts';
import { cancelJob, type JobChange, retryJob } from '../../../queue/job-admin.ts';
import { getJob, jobId, type JobFilter, type JobRow, JobState, jobStates, listJobs } from '../../../queue/jobs-repo.ts';
import { requirePostgres } from '../../../queue/require-postgres.ts';
import { action, badInput, output, wholeNumber, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';

interface ListFlags extends JsonFlag {
  queue?: string;
  state?: string;
  run?: string;
  limit: string;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const exitCodes = (done: string, refusals = '') =>
  `\nExit codes: 0 ${done}, 2 bad input${refusals} or the embedded database (the job queue needs Postgres).`;

function listFilter(opts: ListFlags): JobFilter {
  const state = opts.state === undefined ? undefined : JobState.safeParse(opts.state.toLowerCase());
  if (state && !state.success)
    throw badInput(`--state must be one of ${jobStates.join(', ')}, not ${quote(opts.state)}.`);
  if (opts.run !== undefined && !uuid.test(opts.run))
    throw badInput(`--run must be a run id (a UUID), not ${quote(opts.run)}; see \`trader runs list\`.`);
  if (opts.queue !== undefined && opts.queue.trim() === '')
    throw badInput('--queue must name a queue, e.g. test-runs.');
  return {
    ...(opts.queue !== undefined ? { queue: opts.queue.trim() } : {}),
    ...(state ? { state: state.data } : {}),
    ...(opts.run !== undefined ? { run_id: opts.run } : {}),
    limit: wholeNumber(opts.limit, '--limit', 1, bounds.listRows),
  };
}

/** The embedded database is refused first, with the way out, before its migrations are looked at. */
function withQueueDb<T>(command: string, fn: (db: Db) => Promise<T>): Promise<T> {
  return withDb(
    command,
    async (db) => {
      requirePostgres(db, 'Jobs');
      await assertMigrated(db);
      return fn(db);
    },
    { migrated: false },
  );
}

const iso = (d: Date | null) => d?.toISOString() ?? '';
const symbolOf = (data: unknown) => {
  const s = (data as { symbol?: unknown } | null)?.symbol;
  return typeof s === 'string' ? s : '';
};

/** What a job produced: the failure's message, else its output as JSON, one line. */
const outputText = (j: JobRow) =>
  j.error !== null ? j.error : j.output === null ? 'none' : shortText(JSON.stringify(j.output), 2000);

function describeJob(j: JobRow): string {
  const waiting = j.state === 'created' || j.state === 'retry';
  return [
    `job          ${j.id}`,
    `queue        ${j.queue}${j.dead_letter ? ` (when it fails for good: ${j.dead_letter})` : ''}`,
    `state        ${j.state}${j.archived_on ? ` (archived ${j.archived_on.toISOString()})` : ''}`,
    `attempts     ${j.started_on ? j.retry_count + 1 : 0} (retries used: ${j.retry_count} of ${j.retry_limit})`,
    `created      ${j.created_on.toISOString()}`,
    ...(waiting ? [`start after  ${j.start_after.toISOString()}`] : []),
    `started      ${j.started_on ? j.started_on.toISOString() : 'not yet'}`,
    // A job put back on its queue keeps its last attempt's end: it is not finished.
    `completed    ${j.completed_on && !waiting && j.state !== 'active' ? j.completed_on.toISOString() : 'not yet'}`,
    `payload      ${shortText(JSON.stringify(j.data ?? null), 2000)}`,
    `output       ${outputText(j)}`,
  ].join('\n');
}

function changeText(verb: string, c: JobChange, next: string): string {
  return `${verb} job ${c.job.id} on ${c.job.queue}: ${c.from} -> ${c.job.state}${next}.`;
}

export function registerJobsCommands(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('the Postgres job queue: list and show jobs, retry a failed one, cancel an unfinished one');

  withJson(jobs.command('list'))
    .description('list jobs, waiting, running and finished (archived ones too), newest first')
    .option('--queue <name>', 'only jobs of this queue, e.g. test-runs')
    .option('--state <state>', `only jobs in this state: ${jobStates.join(', ')}`)
    .option('--run <run_id>', "only a distributed run's symbol jobs")
    .option('--limit <n>', 'how many jobs', '50')
    .addHelpText(
      'after',
      `\nExamples:\n  $ trader jobs list --state failed\n  $ trader jobs list --run 3f2c...-uuid --json\n${exitCodes('listed')}`,
    )
    .action(
      action(async (opts: ListFlags) => {
        const filter = listFilter(opts);
        const rows = await withQueueDb('jobs list', (db) => listJobs(db, filter));
        const filtered = opts.queue !== undefined || opts.state !== undefined || opts.run !== undefined;
        output(opts, { ok: true, jobs: rows }, () =>
          rows.length === 0
            ? filtered
              ? 'No job matches.'
              : 'No jobs yet; `trader run --distributed` enqueues them.'
            : table(
                ['id', 'queue', 'state', 'retries', 'created', 'run', 'symbol', 'error'],
                rows.map((j) => [
                  j.id,
                  j.queue,
                  j.state,
                  `${j.retry_count}/${j.retry_limit}`,
                  iso(j.created_on),
                  j.run_id ?? '',
                  symbolOf(j.data),
                  j.error === null ? '' : shortText(j.error, 60),
                ]),
              ),
        );
      }),
    );

  withJson(jobs.command('show <id>'))
    .description('one job: its payload, state, attempts, times and output (the error of a failed one)')
    .addHelpText('after', `\nExample:\n  $ trader jobs show 6f1d...-uuid\n${exitCodes('shown', ', an unknown job')}`)
    .action(
      action(async (id: string, opts: JsonFlag) => {
        jobId(id);
        const job = await withQueueDb('jobs show', (db) => getJob(db, id));
        output(opts, { ok: true, job }, () => describeJob(job));
      }),
    );

  withJson(jobs.command('retry <id>'))
    .description('put a failed or cancelled job back on its queue (refused when its run is closed); audited')
    .addHelpText(
      'after',
      `\nExample:\n  $ trader jobs retry 6f1d...-uuid\n${exitCodes('queued again', ", an unknown job, one not failed or cancelled, a closed run's job")}`,
    )
    .action(
      action(async (id: string, opts: JsonFlag) => {
        jobId(id);
        const change = await withQueueDb('jobs retry', (db) => retryJob(db, id, 'USER'));
        output(opts, { ok: true, from: change.from, job: change.job }, () =>
          changeText('Retried', change, '; a worker takes it next'),
        );
      }),
    );

  withJson(jobs.command('cancel <id>'))
    .description('cancel a job that has not finished (created, retry or active): no worker takes it again; audited')
    .addHelpText(
      'after',
      `\nExample:\n  $ trader jobs cancel 6f1d...-uuid\n${exitCodes('cancelled', ', an unknown job, one already finished')}`,
    )
    .action(
      action(async (id: string, opts: JsonFlag) => {
        jobId(id);
        const change = await withQueueDb('jobs cancel', (db) => cancelJob(db, id, 'USER'));
        output(opts, { ok: true, from: change.from, job: change.job }, () => changeText('Cancelled', change, ''));
      }),
    );
}
