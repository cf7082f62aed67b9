import type { Metrics } from '../backtest/backtest-types.ts';
import { recordAudit } from '../trading/audit/audit-log.ts';
import { tradingScope } from '../trading/scope.ts';
import { loadState } from '../trading/state-repo.ts';
import { insertVersion, setVersionStatus, suitableProfiles } from '../trading/strategies/strategy-versions.ts';
import type { Queryable } from '../store/db.ts';
import { finalScore, liveRecord } from './live-feedback.ts';
import { scoreTrial } from './objective.ts';
import type { Assignment, Comparison, Proposal } from './study-outcome.ts';
import type { MeasuredReport, StrategyReport } from './study-report.ts';
import type { StudyRequest } from './study-request.ts';
import { pointParams } from './trial-plan.ts';

/** A chained out-of-sample record's objective under the study's constraints: what ranks strategies and markets. */
export const outOfSampleScore = (r: StudyRequest, m: Metrics) =>
  scoreTrial(m, r.objective, { maxDrawdownPct: r.max_drawdown_pct, minTrades: 1 });

/**
 * Per market, the strategy whose winner scored best on it traded alone out of sample (a
 * multi-strategy study). A one-strategy study assigns its strategy every market it studied.
 */
export function assignMarkets(r: StudyRequest, reports: readonly StrategyReport[]): Assignment[] {
  return r.symbols.map((symbol) => {
    const scores = Object.fromEntries(
      reports.map((s) => {
        const m = s.markets?.find((x) => x.symbol === symbol);
        return [
          s.strategy_id,
          m ? outOfSampleScore(r, m.out_of_sample).value : outOfSampleScore(r, s.out_of_sample).value,
        ];
      }),
    );
    const ranked = Object.entries(scores)
      .filter((e): e is [string, number] => e[1] !== null)
      .sort((a, b) => b[1] - a[1]);
    return { symbol, strategy_id: ranked[0]?.[0] ?? null, scores };
  });
}

type Decision = { version: false; reason: string } | { version: true; activate: boolean; reason: string };

/**
 * Whether a strategy's winner becomes a version, and ACTIVE or PROPOSED. Pure: the study's
 * figures, the markets it won, the comparison with what trades now, and the configuration.
 */
export function decide(
  r: StudyRequest,
  s: MeasuredReport,
  o: { markets: readonly string[]; comparison: Comparison; requireApproval: boolean },
): Decision {
  if (!s.best) return { version: false, reason: 'no feasible trial in the last window' };
  if (o.markets.length === 0)
    return { version: false, reason: 'another strategy scored higher out of sample on every market' };
  // The drawdown limit binds out of sample too: a strategy that broke it on unseen data is not offered.
  if (s.out_of_sample.max_drawdown_pct > r.max_drawdown_pct)
    return {
      version: false,
      reason: `out of sample its drawdown of ${s.out_of_sample.max_drawdown_pct.toFixed(1)} % passes the profile's limit of ${r.max_drawdown_pct} %`,
    };
  const { candidate_score: candidate, incumbent } = o.comparison;
  if (incumbent.final_score !== null && (candidate === null || candidate <= incumbent.final_score))
    return {
      version: false,
      reason: `what trades now (${incumbent.version === null ? 'its configured rows' : `version ${incumbent.version}`}) scores ${incumbent.final_score.toFixed(3)} against the winner's ${candidate === null ? 'infeasible record' : candidate.toFixed(3)}; it stays`,
    };
  const evidence =
    outOfSampleScore(r, s.out_of_sample).infeasible ??
    (s.out_of_sample.total_return_pct > 0 ? null : 'the out-of-sample record is not positive');
  if (o.requireApproval)
    return {
      version: true,
      activate: false,
      reason: 'require_strategy_approval is on: waits for `trader strategy proposals approve`',
    };
  // Without approval a winner trades at once, but only on evidence; otherwise it waits like any proposal.
  return {
    version: true,
    activate: evidence === null,
    reason: evidence ?? 'require_strategy_approval is off and the out-of-sample record holds',
  };
}

/**
 * What becomes of each strategy's winner, in the caller's transaction: its comparison with
 * what trades now (the incumbent's out-of-sample score on the same windows blended with its
 * live record), the decision, and for a version its row, status, market assignment and audit.
 */
export async function settleStudy(
  tx: Queryable,
  studyId: string,
  r: StudyRequest,
  reports: readonly MeasuredReport[],
  assignment: readonly Assignment[],
  now: Date,
): Promise<Proposal[]> {
  const scope = tradingScope(r.system_mode);
  const state = await loadState(tx, scope);
  const constraints = { maxDrawdownPct: r.max_drawdown_pct, minTrades: r.min_trades };
  const out: Proposal[] = [];
  for (const s of reports) {
    const live = await liveRecord(tx, scope, {
      strategyId: s.strategy_id,
      version: s.incumbent.version,
      objective: r.objective,
      constraints,
      weight: state.live_performance_feedback_weight,
      now,
    });
    const backtest = outOfSampleScore(r, s.incumbent.out_of_sample).value;
    const comparison: Comparison = {
      // A new version has no live record of its own: its final score is its out-of-sample score.
      candidate_score: s.best ? outOfSampleScore(r, s.out_of_sample).value : null,
      incumbent: {
        version: s.incumbent.version,
        backtest_score: backtest,
        live,
        final_score: finalScore(backtest, live),
      },
    };
    const markets = assignment.filter((a) => a.strategy_id === s.strategy_id).map((a) => a.symbol);
    const d = decide(r, s, { markets, comparison, requireApproval: state.require_strategy_approval });
    if (!d.version) {
      out.push({ strategy_id: s.strategy_id, version: null, status: null, reason: d.reason, markets, comparison });
      continue;
    }
    const params = pointParams({ ...r.spaces[s.strategy_id]!.fixed, ...s.best!.params });
    const version = await insertVersion(tx, {
      strategy_id: s.strategy_id,
      params,
      suitable_risk_profiles: suitableProfiles(r.profile),
      markets,
      study_id: studyId,
      report: s,
    });
    const status = d.activate ? 'ACTIVE' : 'PROPOSED';
    const { assigned } = await setVersionStatus(tx, scope, {
      strategy_id: s.strategy_id,
      version,
      status,
      by: 'optimiser',
      note: d.reason,
    });
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'SYSTEM',
      action_type: d.activate ? 'STRATEGY_ACTIVATED' : 'STRATEGY_PROPOSED',
      status: 'SUCCESS',
      risk_profile: r.profile,
      details: {
        study_id: studyId,
        strategy_id: s.strategy_id,
        version,
        params,
        markets,
        assigned,
        comparison,
        reason: d.reason,
      },
      entity_type: 'strategy_version',
      entity_id: `${s.strategy_id}@${version}`,
    });
    out.push({ strategy_id: s.strategy_id, version, status, reason: d.reason, markets, comparison });
  }
  return out;
}
