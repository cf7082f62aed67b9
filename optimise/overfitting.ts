import { normalCdf, normalInv } from './normal.ts';

/**
 * How likely the best trial's Sharpe ratio is real rather than the luck of trying many:
 * the deflated Sharpe ratio (Bailey and López de Prado, "The Deflated Sharpe Ratio", 2014).
 * Trying N parameter sets raises the best Sharpe found even when none has an edge; the
 * expected maximum of N such Sharpes under the null is
 *   SR0 = sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e))),  g = 0.5772 (Euler-Mascheroni),
 * with V the variance of the trials' Sharpe ratios, and the DSR is the probability that the
 * best trial's Sharpe exceeds SR0 given its sample length T and the skew and kurtosis of its
 * returns:
 *   DSR = Phi((SR - SR0) sqrt(T - 1) / sqrt(1 - skew SR + (kurtosis - 1) / 4 SR^2)).
 * Every Sharpe here is per bar (not annualised), as the formula needs.
 */
const EULER_GAMMA = 0.5772156649015329;

export interface DeflatedSharpeInput {
  /** Per-bar Sharpe ratio of the selected trial. */
  sharpe: number;
  /** Per-bar Sharpe ratios of every feasible trial of the study (the selected one included). */
  trialSharpes: readonly number[];
  /** Returns the selected trial's Sharpe was measured on. */
  observations: number;
  skew: number;
  /** Kurtosis (not excess): 3 for normal returns. */
  kurtosis: number;
}

export interface Overfitting {
  deflated_sharpe: number;
  /** The Sharpe the best of this many trials would reach by luck alone (per bar). */
  expected_max_sharpe: number;
  trials: number;
  verdict: 'likely real' | 'inconclusive' | 'likely overfit';
}

export function expectedMaxSharpe(trialSharpes: readonly number[]): number {
  const n = trialSharpes.length;
  if (n < 2) return 0;
  const mean = trialSharpes.reduce((a, b) => a + b, 0) / n;
  const variance = trialSharpes.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return (
    Math.sqrt(variance) * ((1 - EULER_GAMMA) * normalInv(1 - 1 / n) + EULER_GAMMA * normalInv(1 - 1 / (n * Math.E)))
  );
}

export function deflatedSharpe(i: DeflatedSharpeInput): Overfitting {
  const sr0 = expectedMaxSharpe(i.trialSharpes);
  const denominator = 1 - i.skew * i.sharpe + ((i.kurtosis - 1) / 4) * i.sharpe ** 2;
  const dsr =
    i.observations < 2 || !(denominator > 0)
      ? 0
      : normalCdf(((i.sharpe - sr0) * Math.sqrt(i.observations - 1)) / Math.sqrt(denominator));
  return {
    deflated_sharpe: dsr,
    expected_max_sharpe: sr0,
    trials: i.trialSharpes.length,
    verdict: dsr >= 0.95 ? 'likely real' : dsr >= 0.5 ? 'inconclusive' : 'likely overfit',
  };
}

/** Per-bar Sharpe, skew and kurtosis of an equity curve's simple returns (the DSR's inputs for one trial). */
export function returnMoments(equity: readonly number[]): {
  sharpe: number;
  skew: number;
  kurtosis: number;
  n: number;
} {
  const r: number[] = [];
  for (let k = 1; k < equity.length; k++) r.push(equity[k]! / equity[k - 1]! - 1);
  const n = r.length;
  if (n < 2) return { sharpe: 0, skew: 0, kurtosis: 3, n };
  const mean = r.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const x of r) {
    const d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (!(m2 > 1e-24)) return { sharpe: 0, skew: 0, kurtosis: 3, n };
  return { sharpe: mean / Math.sqrt(m2), skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2), n };
}
