import { TraderError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { Db } from '../store/db.ts';
import { evaluatePoint } from './evaluate-trial.ts';
import { studyWindows } from './strategy-study.ts';
import type { StudyDataCache } from './study-data-cache.ts';
import { findStudyRequest, insertTrial, storedTrialsOf } from './study-repo.ts';
import type { TrialTask } from './trial-queue.ts';

/** What became of one trial job: stored here, stored already (a retry or a duplicate), or its study is gone. */
export type TrialJobResult = 'stored' | 'already_stored' | 'no_study';

/**
 * A worker's half of a distributed study: evaluates one trial exactly as a local study does
 * (evaluatePoint, on the study's data rebuilt from its stored request) and stores it. A
 * trial already stored is not run again, and the insert writes nothing when another attempt
 * stored it meanwhile, so a retried or duplicate job stores one row.
 */
export async function runTrialJob(
  db: Db,
  job: TrialTask,
  sandbox: Sandbox,
  studies: StudyDataCache,
): Promise<TrialJobResult> {
  const request = await findStudyRequest(db, job.study_id);
  if (!request) return 'no_study';
  const at = { strategy_id: job.strategy_id, window_index: job.window_index, trial_nos: [job.trial_no] };
  if ((await storedTrialsOf(db, job.study_id, at)).length > 0) return 'already_stored';
  if (!request.strategies.includes(job.strategy_id))
    throw new TraderError('BAD_INPUT', `Study ${job.study_id} has no strategy ${quote(job.strategy_id)}.`);
  const window = studyWindows(request)[job.window_index];
  if (!window)
    throw new TraderError('BAD_INPUT', `Study ${job.study_id} has no walk-forward window ${job.window_index + 1}.`);
  const study = await studies.get(job.study_id, request, job.strategy_id);
  const fields = await evaluatePoint(study, window, job.params, sandbox);
  const stored = await insertTrial(db, job.study_id, { ...fields, trial_no: job.trial_no, params: job.params });
  return stored ? 'stored' : 'already_stored';
}
