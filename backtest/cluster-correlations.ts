import {
  dayMs,
  logReturns,
  pairCorrelations,
  type ReturnSeries,
  windowBefore,
} from '../analysis/return-correlation.ts';
import type { RiskProfile } from '../trading/state-repo.ts';

type Closes = { ts: readonly number[]; close: readonly number[] };

/**
 * The correlated-cluster rule's input in a backtest, measured as a live gate check
 * measures it (analysis/stored-returns.ts, the same pairCorrelations): each pair's return
 * correlation over the profile's window of bars closed by the decision, from the replay's
 * own candles, never past the decided bar. Returns are computed once per replay; a gate
 * check then costs one pass over the window per pair.
 */
export class ReplayCorrelations {
  private readonly returns = new Map<string, ReturnSeries>();
  private readonly windowMs: number;

  private constructor(
    markets: readonly { symbol: string; full: Closes }[],
    profile: RiskProfile,
    private readonly stepMs: number,
  ) {
    this.windowMs = profile.cluster_window_days * dayMs;
    for (const m of markets) this.returns.set(m.symbol, logReturns(m.full, stepMs));
  }

  /** Null when the profile leaves the rule off: then nothing is computed at all. */
  static forReplay(
    markets: readonly { symbol: string; full: Closes }[],
    profile: RiskProfile,
    stepMs: number,
  ): ReplayCorrelations | null {
    return profile.cluster_cap_pct === null ? null : new ReplayCorrelations(markets, profile, stepMs);
  }

  /** Every pair of `symbols` as of the close at `asOfMs` (a market the replay does not hold is unmeasured). */
  pairsAt(asOfMs: number, symbols: readonly string[]): { pairs: Record<string, number | null> } {
    return { pairs: pairCorrelations(this.returns, symbols, windowBefore(asOfMs, this.windowMs, this.stepMs)) };
  }
}
