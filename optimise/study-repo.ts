import { z } from 'zod';
import { Metrics } from '../backtest/backtest-types.ts';
import { TraderError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';
import { queryRows, type Queryable } from '../store/db.ts';
import { StudyRequest } from './study-request.ts';

/** The optimiser's tables (supabase/migrations/20261204170000_strategy_optimiser.sql). */

const Value = z.union([z.string(), z.number(), z.boolean()]);

/** A trial's backtest metrics and the per-bar return moments the deflated Sharpe ratio needs. */
export const TrialMetrics = Metrics.extend({
  per_bar: z.object({ sharpe: z.number(), skew: z.number(), kurtosis: z.number(), n: z.number().int() }),
});
export type TrialMetrics = z.infer<typeof TrialMetrics>;

export const TrialRow = z.object({
  strategy_id: z.string(),
  window_index: z.number().int(),
  trial_no: z.number().int(),
  params: z.record(z.string(), Value),
  metrics: TrialMetrics.nullable(),
  score: z.number().nullable(),
  infeasible: z.string().nullable(),
  duration_ms: z.number().int(),
});
export type TrialRow = z.infer<typeof TrialRow>;

export const StudyStatus = z.enum(['running', 'finished', 'failed']);

export const StudyRow = z.object({
  study_id: z.string(),
  created_at: z.date(),
  updated_at: z.date(),
  status: StudyStatus,
  request: StudyRequest,
  report: z.unknown().nullable(),
  error: z.string().nullable(),
});
export type StudyRow = z.infer<typeof StudyRow>;

export async function insertStudy(q: Queryable, studyId: string, request: StudyRequest): Promise<void> {
  await q.query(
    `insert into optimiser_studies (study_id, status, system_mode, request) values ($1, 'running', $2, $3)`,
    [studyId, request.system_mode, request],
  );
}

/**
 * Kept the moment it finishes: a study killed after this trial resumes without running it
 * again. A trial is stored once: a second insert (a worker's retried job) writes nothing and
 * answers false.
 */
export async function insertTrial(q: Queryable, studyId: string, t: TrialRow): Promise<boolean> {
  const rows = await q.query(
    `insert into optimiser_trials (study_id, strategy_id, window_index, trial_no, params, metrics, score, infeasible, duration_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing returning trial_no`,
    [studyId, t.strategy_id, t.window_index, t.trial_no, t.params, t.metrics, t.score, t.infeasible, t.duration_ms],
  );
  return rows.length === 1;
}

/** Which trials of one window are stored, among `trialNos`. */
export async function storedTrialsOf(
  q: Queryable,
  studyId: string,
  at: { strategy_id: string; window_index: number; trial_nos: readonly number[] },
): Promise<TrialRow[]> {
  return queryRows(
    q,
    TrialRow,
    `select strategy_id, window_index, trial_no, params, metrics, score, infeasible, duration_ms
     from optimiser_trials where study_id = $1 and strategy_id = $2 and window_index = $3 and trial_no = any($4::int[])
     order by trial_no`,
    [studyId, at.strategy_id, at.window_index, [...at.trial_nos]],
  );
}

export async function loadTrials(q: Queryable, studyId: string): Promise<TrialRow[]> {
  return queryRows(
    q,
    TrialRow,
    `select strategy_id, window_index, trial_no, params, metrics, score, infeasible, duration_ms
     from optimiser_trials where study_id = $1 order by strategy_id, window_index, trial_no`,
    [studyId],
  );
}

/** A study's request, or undefined when no study has that id (deleted, or never stored). */
export async function findStudyRequest(q: Queryable, studyId: string): Promise<StudyRequest | undefined> {
  const [row] = await queryRows(
    q,
    z.object({ request: StudyRequest }),
    'select request from optimiser_studies where study_id = $1',
    [studyId],
  );
  return row?.request;
}

export async function loadStudy(q: Queryable, studyId: string): Promise<StudyRow> {
  if (!z.uuid().safeParse(studyId).success)
    throw new TraderError('BAD_INPUT', `${quote(studyId)} is not a study id (a UUID, see \`trader optimise list\`).`);
  const [row] = await queryRows(
    q,
    StudyRow,
    `select study_id::text, created_at, updated_at, status, request, report, error from optimiser_studies where study_id = $1`,
    [studyId],
  );
  if (!row) throw new TraderError('NOT_FOUND', `No study ${studyId}; \`trader optimise list\` shows the stored ones.`);
  return row;
}

export async function setStudyStatus(
  q: Queryable,
  studyId: string,
  status: z.infer<typeof StudyStatus>,
  o: { report?: unknown; error?: string | null } = {},
): Promise<void> {
  await q.query(
    `update optimiser_studies set status = $2, report = coalesce($3, report), error = $4, updated_at = now() where study_id = $1`,
    [studyId, status, o.report ?? null, o.error ?? null],
  );
}

export const StudyListRow = StudyRow.pick({ study_id: true, created_at: true, status: true, request: true }).extend({
  trials_done: z.number().int(),
});

export async function listStudies(q: Queryable, limit: number): Promise<z.infer<typeof StudyListRow>[]> {
  return queryRows(
    q,
    StudyListRow,
    `select s.study_id::text, s.created_at, s.status, s.request,
       (select count(*) from optimiser_trials t where t.study_id = s.study_id)::int as trials_done
     from optimiser_studies s order by s.created_at desc limit $1`,
    [limit],
  );
}
