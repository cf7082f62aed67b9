import type { Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { traderEnv } from '../../../core/env.ts';
import { isTraderError } from '../../../core/errors.ts';
import { shortText } from '../../../core/quote.ts';
import type { Db } from '../../../store/db.ts';
import { cancelJob, retryJob } from '../../../queue/job-admin.ts';
import { jobId, type JobRow, JobState, jobStates, listJobs, queueNames } from '../../../queue/jobs-repo.ts';
import { queueHealth, workersLine } from '../../../queue/queue-health.ts';
import { requirePostgres } from '../../../queue/require-postgres.ts';
import type { ServerDeps } from '../route-types.ts';
import { opt, queryOf, selectField } from './filters.ts';
import { ago, when } from './format.ts';
import { csrfField, type Html } from './layout.ts';
import { render } from './render.ts';
import { formOf, type DashboardEnv } from './session-guard.ts';
import { dataTable } from './table.ts';
import { listWorkers, type WorkerView } from './workers-view.ts';

/**
 * Workers & jobs: the workers of the job queue (queue_workers) with their health, and the
 * newest jobs with the filters of `trader jobs list`. A failed or cancelled job can be retried
 * and a waiting one cancelled, through the same use cases as `trader jobs retry|cancel`
 * (audited with the session's token). On the embedded database the page says what to do.
 */

const pageSize = 100;
const QueueName = z.string().min(1).max(100);
const WorkersQuery = z.object({
  state: opt(JobState),
  queue: opt(QueueName),
  done: opt(z.enum(['retry', 'cancel'])),
  job: opt(z.string().regex(/^[0-9a-f-]{36}$/)),
});
type WorkersQuery = z.infer<typeof WorkersQuery>;
const JobForm = z.object({ verb: z.enum(['retry', 'cancel']), state: opt(JobState), queue: opt(QueueName) });

const retryable: readonly JobState[] = ['failed', 'cancelled'];
const waiting: readonly JobState[] = ['created', 'retry'];

const label = { retry: 'Retry', cancel: 'Cancel' };
const doneText = { retry: 'is back on its queue: a worker takes it next', cancel: 'is cancelled: no worker takes it' };

/** The embedded database's one sentence (require-postgres.ts), or null on Postgres. */
function embeddedSentence(db: Db): string | null {
  try {
    requirePostgres(db, 'Workers and the job queue');
    return null;
  } catch (e) {
    if (isTraderError(e)) return e.message;
    throw e;
  }
}

const workerRow = (w: WorkerView) =>
  html`<tr>
    <td>${w.host}</td>
    <td class="num">${w.pid}</td>
    <td>${w.mode}: ${w.queues.join(', ')}</td>
    <td class="num">${w.concurrency}</td>
    <td class="num">${ago(w.heartbeat_age_s)}</td>
    <td>${w.current_jobs.map((j) => `${j.queue} ${j.job_id.slice(0, 8)}`).join(', ') || 'none'}</td>
    <td class="num">${w.jobs_done}</td>
    <td class="num">${w.jobs_failed}</td>
    <td class="status-${w.state}">${w.state}</td>
    <td>${w.last_error ?? ''}</td>
  </tr>`;

/** What the job works on: a run's symbol (linked to the run), a study's trial (linked to the study), else nothing. */
function subject(j: JobRow): Html | string {
  const data = (j.data ?? {}) as { symbol?: unknown; study_id?: unknown };
  if (j.run_id)
    return html`<a href="/ui/runs/${j.run_id}">${typeof data.symbol === 'string' ? data.symbol : 'run'}</a> in run
      ${j.run_id.slice(0, 8)}`;
  if (typeof data.study_id === 'string')
    return html`<a href="/ui/studies/${data.study_id}">study ${data.study_id.slice(0, 8)}</a>`;
  return '';
}

/** Retry for a failed or cancelled job still on its queue (not archived), cancel for a waiting one. */
function jobAction(j: JobRow, csrf: Html, q: WorkersQuery) {
  const verb = retryable.includes(j.state) && !j.archived_on ? 'retry' : waiting.includes(j.state) ? 'cancel' : null;
  if (!verb) return '';
  return html`<form method="post" action="/ui/workers/jobs/${j.id}" class="inline">
    ${csrf}${q.state ? html`<input type="hidden" name="state" value="${q.state}" />` : ''}
    ${q.queue ? html`<input type="hidden" name="queue" value="${q.queue}" />` : ''}
    <button type="submit" name="verb" value="${verb}" aria-label="${label[verb]} job ${j.id}">${label[verb]}</button>
  </form>`;
}

const jobRow = (j: JobRow, csrf: Html, q: WorkersQuery) =>
  html`<tr>
    <td><code title="${j.id}">${j.id.slice(0, 8)}</code></td>
    <td>${j.queue}</td>
    <td class="status-${j.state}">${j.state}</td>
    <td class="num">${j.retry_count}/${j.retry_limit}</td>
    <td>${when(j.created_on)}</td>
    <td>${when(j.started_on)}</td>
    <td>${waiting.includes(j.state) || j.state === 'active' ? '-' : when(j.completed_on)}</td>
    <td>${subject(j)}</td>
    <td class="${j.error ? 'alarm' : ''}">${j.error ? shortText(j.error, 300) : ''}</td>
    <td>${jobAction(j, csrf, q)}</td>
  </tr>`;

async function workersBody(deps: ServerDeps, q: WorkersQuery, csrf: Html) {
  const deadSeconds = traderEnv(deps.env).TRADER_WORKER_DEAD_SECONDS;
  const [health, workers, names, jobs] = await Promise.all([
    queueHealth(deps.db, deadSeconds),
    listWorkers(deps.db, deadSeconds),
    queueNames(deps.db),
    listJobs(deps.db, { state: q.state, queue: q.queue, limit: pageSize }),
  ]);
  const filtered = q.state !== undefined || q.queue !== undefined;
  return html`${q.done && q.job ? html`<p class="notice ok" role="status">Job ${q.job} ${doneText[q.done]}.</p>` : ''}
    ${health ? html`<p>Workers: ${workersLine(health)}.</p>` : ''}
    <section aria-labelledby="h-workers">
      <h2 id="h-workers">Workers</h2>
      ${dataTable({
        headers: [
          'Host',
          'PID',
          'Queues',
          'Slots',
          'Heartbeat',
          'Current jobs',
          'Done',
          'Failed',
          'State',
          'Last error',
        ],
        rows: workers.map(workerRow),
        empty: html`No workers: start one with <code>trader worker</code> on a machine that reaches this database.`,
      })}
    </section>
    <section aria-labelledby="h-jobs">
      <h2 id="h-jobs">Jobs, newest first</h2>
      <form method="get" class="filters" aria-label="Filter the jobs">
        ${selectField('state', 'State', jobStates, q)} ${selectField('queue', 'Queue', names, q)}
        <button type="submit">Filter</button>
        <a href="/ui/workers">Clear</a>
      </form>
      ${dataTable({
        headers: ['Job', 'Queue', 'State', 'Retries', 'Created', 'Started', 'Completed', 'Works on', 'Error', 'Action'],
        rows: jobs.map((j) => jobRow(j, csrf, q)),
        empty: filtered ? 'No job matches.' : html`No jobs yet: <code>trader run --distributed</code> enqueues them.`,
      })}
    </section>`;
}

export function mountWorkerPages(app: Hono<DashboardEnv>, deps: ServerDeps): void {
  app.get('/ui/workers', async (c) => {
    const embedded = embeddedSentence(deps.db);
    const q = queryOf(c.req.query(), WorkersQuery);
    return render(c, deps, {
      title: 'Workers & jobs',
      active: '/ui/workers',
      body: embedded
        ? html`<p class="notice">${embedded}</p>`
        : await workersBody(deps, q, csrfField(c.get('session'))),
    });
  });

  app.post('/ui/workers/jobs/:id', async (c) => {
    const id = jobId(c.req.param('id'));
    const { verb, ...filters } = formOf(c, JobForm);
    await (verb === 'retry' ? retryJob : cancelJob)(deps.db, id, 'USER', deps.env);
    // Back to the list as it was filtered, saying what was done.
    const back = Object.entries({ ...filters, done: verb, job: id }).flatMap(([k, v]) => (v ? [[k, v]] : []));
    return c.redirect(`/ui/workers?${new URLSearchParams(back).toString()}`, 303);
  });
}
