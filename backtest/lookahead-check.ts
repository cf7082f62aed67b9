import type { Sandbox } from '../sandbox/sandbox.ts';
import type { RecordedBar, ReplaySymbol } from './replay.ts';

/**
 * `trader backtest --check-lookahead`: proof that decisions do not depend on the future.
 * The replay records its decision at a sample of bars; each is decided again on candles
 * physically cut at that bar (a fresh copy: no later candle exists, indicators are
 * recomputed on the cut copy, reads past its end throw). Any decision that differs, and
 * any module that read past the decision time, is reported.
 */

export interface LookaheadFinding {
  symbol: string;
  at: string;
  kind: 'differs' | 'peeked';
  detail: string;
}

export interface LookaheadReport {
  sampled: number;
  differences: number;
  peeks: number;
  /** The first findings, at most 20. */
  findings: LookaheadFinding[];
}

/** Picks `perSymbol` decision bars per market, evenly spread over the tested span (deterministic). */
export function sampleBars(
  markets: readonly ReplaySymbol[],
  perSymbol: number,
): (symbol: string, barIndex: number) => boolean {
  const chosen = new Map<string, Set<number>>();
  for (const m of markets) {
    const first = m.firstDecision;
    const count = m.full.ts.length - first;
    const n = Math.min(perSymbol, count);
    const picks = new Set<number>();
    for (let i = 0; i < n; i++) picks.add(first + Math.floor(((i + 0.5) * count) / n));
    chosen.set(m.instrument.symbol, picks);
  }
  return (symbol, barIndex) => chosen.get(symbol)?.has(barIndex) ?? false;
}

export async function checkLookahead(
  sandbox: Sandbox,
  markets: readonly ReplaySymbol[],
  recorded: readonly RecordedBar[],
  peeksInReplay: readonly { module_id: string; lookahead: number; first: string }[],
): Promise<LookaheadReport> {
  const findings: LookaheadFinding[] = [];
  let differences = 0;
  let peeks = 0;
  for (const p of peeksInReplay) {
    if (p.lookahead === 0) continue;
    peeks += p.lookahead;
    findings.push({
      symbol: '*',
      at: '*',
      kind: 'peeked',
      detail: `${p.module_id} read past the decision time at ${p.lookahead} bar(s) of the replay: ${p.first}`,
    });
  }
  for (const rec of recorded) {
    const m = markets[rec.symbolIndex]!;
    // In the replay's sandbox, which holds the market's candles: it cuts them at the bar.
    const d = await sandbox.request({ op: 'cut', index: rec.symbolIndex, end: rec.barIndex + 1, inputs: rec.inputs });
    const symbol = m.instrument.symbol;
    for (const e of d.errors.filter((x) => x.lookahead)) {
      peeks++;
      findings.push({ symbol, at: rec.inputs.run.as_of, kind: 'peeked', detail: `${e.module_id}: ${e.message}` });
    }
    if (d.fingerprint !== rec.fingerprint) {
      differences++;
      findings.push({
        symbol,
        at: rec.inputs.run.as_of,
        kind: 'differs',
        detail: `full-data replay: ${summary(rec.fingerprint)}; candles cut at the bar: ${summary(d.fingerprint!)}`,
      });
    }
  }
  return { sampled: recorded.length, differences, peeks, findings: findings.slice(0, 20) };
}

/** The outcome and reason of a fingerprint, short enough for one line. */
function summary(fingerprint: string): string {
  const [outcome, reason] = JSON.parse(fingerprint) as [string, string];
  return `${outcome} (${reason.length > 160 ? `${reason.slice(0, 157)}...` : reason})`;
}
