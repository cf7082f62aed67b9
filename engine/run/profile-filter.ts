import type { Plan } from '../plan/plan-types.ts';

/**
 * The risk profile's signal filter (seed section 7), applied by the engine between the
 * signal stages and risk sizing, in runs, paper trading and backtests alike:
 * - a strategy version suits the profiles its study allowed (`suitable_risk_profiles`: the
 *   target and every profile allowed more risk); a signal of a strategy that does not suit
 *   the active profile is rejected. Low takes only strategies suited to Low, Medium those
 *   suited to Low or Medium, High all of them. A strategy without a version, and a pipeline
 *   without a strategy, are as you configured them and suit every profile;
 * - Low is stricter on top: no entry in a high-volatility band, and the best signal (or the
 *   confluence idea) needs a confidence of at least LOW_MIN_CONFIDENCE.
 * Every signal's contract requires a stop (sdk/context-schemas.ts), so the seed's
 * `require_stop_loss_from_strategy` always holds here: the engine never invents a stop.
 */
export const LOW_MIN_CONFIDENCE = 0.6;

export interface SignalFilterVerdict {
  allow: boolean;
  reason: string;
  /** Signals the strategy produced at this bar. */
  signals: number;
}

const confidenceOf = (context: Record<string, unknown>): number => {
  const ideas = (context.ideas as { score: number }[] | undefined) ?? [];
  const signals = (context.signals as { confidence: number }[] | undefined) ?? [];
  return Math.max(0, ...ideas.map((i) => i.score), ...signals.map((s) => s.confidence));
};

/** The verdict on this bar's signals; null when there is no signal to judge. */
export function profileFilter(plan: Plan, context: Record<string, unknown>): SignalFilterVerdict | null {
  const signals = (context.signals as unknown[] | undefined)?.length ?? 0;
  if (signals === 0) return null;
  const profile = (context.run as { risk_profile: 'low' | 'medium' | 'high' }).risk_profile;
  const suits = plan.suitable_risk_profiles;
  const name = `strategy ${plan.strategy_id}${plan.strategy_version ? ` version ${plan.strategy_version}` : ''}`;
  if (suits && !suits.includes(profile))
    return {
      allow: false,
      reason: `StrategyRiskMismatch: ${name} suits ${suits.join(', ')}, not the active ${profile} profile`,
      signals,
    };
  if (profile === 'low') {
    const band = (context.volatility as { band?: string } | undefined)?.band;
    if (band === 'high')
      return { allow: false, reason: 'low profile: no entry while volatility is in its high band', signals };
    const confidence = confidenceOf(context);
    if (confidence < LOW_MIN_CONFIDENCE)
      return {
        allow: false,
        reason: `low profile: confidence ${confidence.toFixed(2)} is under ${LOW_MIN_CONFIDENCE}`,
        signals,
      };
  }
  return {
    allow: true,
    reason: suits
      ? `${name} suits the ${profile} profile`
      : `${profile} profile: no suitability recorded, as configured`,
    signals,
  };
}
