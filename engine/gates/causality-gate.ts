import type { z } from 'zod';
import { errorMessage } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import type { CandleSeries } from '../../sdk/context-schemas.ts';
import { runPrepare, seriesColumns, type PrepareFn } from '../run/prepared-columns.ts';

/**
 * The causality gate for a module's `prepare` (sdk/prepared.ts): a backtest prepares once
 * over the whole replay and a live run over the candles it loaded, so a prepared value at bar
 * i must depend on bars 0..i alone. Proven on the gate sample: prepare over the series cut
 * after sampled bars equals the prefix of prepare over the whole series, bit for bit
 * (Object.is per value: NaN equals NaN, 0 and -0 differ).
 */

/** Where the series is cut (bars kept): the first few bars, where seeds live, then spread evenly. */
export function cutPoints(n: number, spread = 10): number[] {
  const early = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];
  const even = Array.from({ length: spread }, (_, i) => Math.floor(((i + 1) * n) / (spread + 1)));
  return [...new Set([...early, ...even])].filter((c) => c >= 1 && c < n).sort((a, b) => a - b);
}

/** The one sentence that refuses a prepare that is not causal (or fails), or null when every cut agrees. */
export function causalityProblem(
  prepare: PrepareFn,
  params: unknown,
  series: z.infer<typeof CandleSeries>,
  at: (bar: number) => string,
): string | null {
  const run = (end: number) => runPrepare(prepare, seriesColumns(series, 0, end), params);
  let whole: Record<string, Float64Array>;
  try {
    whole = run(series.ts.length);
  } catch (e) {
    return `prepare fails on the sample: ${errorMessage(e)}`;
  }
  for (const cut of cutPoints(series.ts.length)) {
    let part: Record<string, Float64Array>;
    try {
      part = run(cut);
    } catch (e) {
      return `prepare fails on the sample cut after ${at(cut - 1)}: ${errorMessage(e)}`;
    }
    const names = new Set([...Object.keys(whole), ...Object.keys(part)]);
    for (const name of names) {
      const a = part[name];
      const b = whole[name];
      if (!a || !b)
        return `prepare is not causal: it returns column ${quote(name)} on the ${a ? 'sample cut after ' + at(cut - 1) : 'whole sample'} only`;
      for (let i = 0; i < cut; i++)
        if (!Object.is(a[i], b[i]))
          return `prepare is not causal: column ${quote(name)} at index ${i} (${at(i)}) is ${a[i]} on the sample cut after ${at(cut - 1)} but ${b[i]} on the whole sample, so it depends on later candles`;
    }
  }
  return null;
}
