import { z } from 'zod';
import { StrategyReport } from './study-report.ts';
import { StudyRequest } from './study-request.ts';

/** What became of a strategy's winner: a version PROPOSED or ACTIVE with the reason, or none. */
export const Proposal = z.object({
  strategy_id: z.string(),
  version: z.number().int().nullable(),
  status: z.enum(['ACTIVE', 'PROPOSED']).nullable(),
  reason: z.string(),
});
export type Proposal = z.infer<typeof Proposal>;

/** A finished study as stored (optimiser_studies.report) and printed by `--json`. */
export const StudyReport = z.object({
  schema_version: z.literal(1),
  study_id: z.string(),
  request: StudyRequest,
  strategies: z.array(StrategyReport),
  /** Strategies by out-of-sample score, best first (null: infeasible out of sample). */
  ranking: z.array(z.object({ strategy_id: z.string(), score: z.number().nullable() })),
  proposals: z.array(Proposal),
  leverage: z.string(),
  duration_ms: z.number().int(),
});
export type StudyReport = z.infer<typeof StudyReport>;

/**
 * The `--json` document of a study: the whole report, and at its top the headline of the
 * best-ranked strategy (its parameters, walk-forward table, out-of-sample record,
 * overfitting verdict and the version it became), so a one-strategy study reads flat.
 */
export function studyJson(r: StudyReport) {
  const top = r.strategies.find((s) => s.strategy_id === r.ranking[0]?.strategy_id) ?? r.strategies[0]!;
  const proposal = r.proposals.find((p) => p.strategy_id === top.strategy_id);
  return {
    ok: true,
    ...r,
    strategy_id: top.strategy_id,
    best: top.best,
    walk_forward: top.windows,
    out_of_sample: top.out_of_sample,
    buy_and_hold_pct: top.buy_and_hold_pct,
    overfitting: top.overfitting,
    proposal_id: proposal?.version ? `${top.strategy_id}@${proposal.version}` : null,
  };
}
