import { randomUUID } from 'node:crypto';
import { TraderError } from '../core/errors.ts';
import { recordAudit } from '../trading/audit/audit-log.ts';
import { systemModeFromEnv, tradingScope, tradingTx } from '../trading/scope.ts';
import type { Db } from '../store/db.ts';
import { planStudy, type StudyOptions } from './plan-study.ts';
import { runStudy, type StudyProgress } from './run-study.ts';
import { assignMarkets, outOfSampleScore, settleStudy } from './settle-study.ts';
import { insertStudy, loadStudy, setStudyStatus } from './study-repo.ts';
import type { StudyRequest } from './study-request.ts';
import type { TrialQueue } from './trial-queue.ts';
import { StudyReport } from './study-outcome.ts';
import type { MeasuredReport } from './study-report.ts';

export const leverageTreatment =
  'scored at 1x: an edge must exist without leverage; leveraged results are indicative at best (liquidations, funding and margin calls are not modelled)';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The study's audit row: what the seed asks an optimisation to leave behind. */
const studyAudit = (studyId: string, r: StudyRequest, status: 'PENDING' | 'SUCCESS' | 'FAILURE', details: object) => ({
  mode: r.system_mode,
  actor: 'SYSTEM' as const,
  action_type: 'OPTIMIZATION_RUN',
  status,
  risk_profile: r.profile,
  details: {
    study_id: studyId,
    target_profile: r.profile,
    strategies: r.strategies,
    symbols: r.symbols,
    span: `${r.from}..${r.to}`,
    trials: r.trials,
    method: r.method,
    objective: r.objective,
    drawdown_limit_pct: r.max_drawdown_pct,
    leverage: leverageTreatment,
    ...details,
  },
  entity_type: 'optimiser_study',
  entity_id: studyId,
});

/**
 * `trader optimise`: plans the study whole (anything wrong is refused before a backtest),
 * stores it, runs its trials (stored as they finish), then in one transaction stores the
 * report and each strategy's winner as a version (PROPOSED or ACTIVE) with its audit rows.
 * `resume` continues a stored study that did not finish, without running a trial twice.
 * `distributed`: the trials run as jobs for `trader worker` processes, the rest here.
 */
export async function optimise(
  db: Db,
  what: { options: StudyOptions } | { resume: string; env?: NodeJS.ProcessEnv },
  hooks: {
    onProgress?: (p: StudyProgress) => void;
    /** Called once the study is stored (before its first trial); awaited. */
    onStart?: (studyId: string, r: StudyRequest) => void | Promise<void>;
    distributed?: TrialQueue;
  } = {},
): Promise<StudyReport> {
  const env = 'options' in what ? what.options.env : what.env;
  let studyId: string;
  let request: StudyRequest;
  if ('options' in what) {
    request = await planStudy(db, what.options);
    studyId = randomUUID();
    await tradingTx(db, tradingScope(request.system_mode), async (tx) => {
      await insertStudy(tx, studyId, request);
      await recordAudit(tx, studyAudit(studyId, request, 'PENDING', {}));
    });
  } else {
    const row = await loadStudy(db, what.resume);
    if (row.status === 'finished')
      throw new TraderError(
        'BAD_INPUT',
        `Study ${row.study_id} has finished; \`trader optimise show ${row.study_id}\` prints it.`,
      );
    if (row.request.system_mode !== systemModeFromEnv(env))
      throw new TraderError(
        'BAD_INPUT',
        `Study ${row.study_id} belongs to ${row.request.system_mode}; resume it in that system mode.`,
      );
    studyId = row.study_id;
    request = row.request;
    await setStudyStatus(db, studyId, 'running');
  }
  await hooks.onStart?.(studyId, request);
  const started = performance.now();
  let strategies: MeasuredReport[];
  try {
    strategies = await runStudy(db, studyId, request, {
      onProgress: hooks.onProgress,
      env,
      ...(hooks.distributed ? { distributed: hooks.distributed } : {}),
    });
  } catch (e) {
    if (!(e instanceof TraderError && e.code === 'INTERRUPTED')) {
      await setStudyStatus(db, studyId, 'failed', { error: errorText(e) }).catch(() => undefined);
      await recordAudit(db, studyAudit(studyId, request, 'FAILURE', { error: errorText(e) })).catch(() => undefined);
    }
    throw e;
  }
  const ranking = [...strategies]
    .map((s) => ({ strategy_id: s.strategy_id, score: outOfSampleScore(request, s.out_of_sample).value }))
    .sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity));
  const assignment = assignMarkets(request, strategies);
  return tradingTx(db, tradingScope(request.system_mode), async (tx) => {
    const proposals = await settleStudy(tx, studyId, request, strategies, assignment, new Date());
    const report = StudyReport.parse({
      schema_version: 1,
      study_id: studyId,
      request,
      strategies,
      ranking,
      assignment,
      proposals,
      leverage: leverageTreatment,
      duration_ms: Math.round(performance.now() - started),
    });
    await setStudyStatus(tx, studyId, 'finished', { report });
    await recordAudit(
      tx,
      studyAudit(studyId, request, 'SUCCESS', {
        outcome: proposals,
        ranking,
        assignment,
        results: strategies.map((s) => ({
          strategy_id: s.strategy_id,
          best_params: s.best?.params ?? null,
          out_of_sample_return_pct: s.out_of_sample.total_return_pct,
          out_of_sample_max_drawdown_pct: s.out_of_sample.max_drawdown_pct,
          buy_and_hold_pct: s.buy_and_hold_pct,
          overfitting: s.overfitting?.verdict ?? null,
          infeasible_trials: s.windows.reduce((n, w) => n + w.trials - w.feasible, 0),
        })),
      }),
    );
    return report;
  });
}
