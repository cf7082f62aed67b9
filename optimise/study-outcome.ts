import { z } from 'zod';
import { LiveRecord } from './live-feedback.ts';
import { StrategyReport } from './study-report.ts';
import { StudyRequest } from './study-request.ts';

/**
 * A winner against what trades now, on the same out-of-sample windows. The incumbent's
 * final score blends in its live record (seed section 8): (1 - w) x backtest + w x live.
 */
export const Comparison = z.object({
  candidate_score: z.number().nullable(),
  incumbent: z.object({
    version: z.number().int().nullable(),
    backtest_score: z.number().nullable(),
    live: LiveRecord,
    final_score: z.number().nullable(),
  }),
});
export type Comparison = z.infer<typeof Comparison>;

/** Which strategy each market should trade: the best out-of-sample score on it (null: none feasible). */
export const Assignment = z.object({
  symbol: z.string(),
  strategy_id: z.string().nullable(),
  scores: z.record(z.string(), z.number().nullable()),
});
export type Assignment = z.infer<typeof Assignment>;

/** What became of a strategy's winner: a version PROPOSED or ACTIVE with the reason, or none. */
export const Proposal = z.object({
  strategy_id: z.string(),
  version: z.number().int().nullable(),
  status: z.enum(['ACTIVE', 'PROPOSED']).nullable(),
  reason: z.string(),
  /** The markets the version is assigned when it becomes ACTIVE. */
  markets: z.array(z.string()).default([]),
  /** Null in reports stored before studies compared with what trades now. */
  comparison: Comparison.nullable().default(null),
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
  assignment: z.array(Assignment).default([]),
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
