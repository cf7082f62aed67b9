import type { z } from 'zod';
import { gridOfStep } from '../market/candle-rules.ts';
import { candleCorrupt, checkDataHealth, corruptDataReason } from '../market/data-health.ts';
import { CandleSeries } from '../sdk/context-schemas.ts';

type Series = z.infer<typeof CandleSeries>;
const columns = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;

export interface SplitHistory {
  /** The sound candles, in order: what the replay plays and modules see. */
  full: Series;
  /** Why the decision at sound bar k is blocked, as a live run then would block it, or null (absent when no row is corrupt). */
  blockedAt?: (k: number) => string | null;
}

/**
 * A market's history as loaded for a replay, with corrupt rows (values the store refuses
 * today but an old database may hold, open times off the grid) taken out: no fill, stop
 * or indicator can use them. A decision is blocked exactly when a live run at that bar
 * would be: when the `historyBars` newest rows closed by then include a corrupt one, with
 * the reason data health gives that run. Nothing crashes, and the bars around go on.
 */
export function splitCorrupt(raw: Series, o: { historyBars: number; timeframeMs: number }): SplitHistory {
  const onGrid = gridOfStep(o.timeframeMs);
  const corrupt = raw.ts.map((_, i) => candleCorrupt(raw, i, onGrid));
  if (!corrupt.includes(true)) return { full: CandleSeries.parse(raw) };
  const keep = corrupt.flatMap((bad, i) => (bad ? [] : [i]));
  const full = CandleSeries.parse({
    ...raw,
    ...Object.fromEntries(columns.map((c) => [c, keep.map((i) => raw[c][i]!)])),
  });
  // corruptBefore[i]: corrupt rows among raw rows 0..i-1.
  const corruptBefore = [0];
  for (const bad of corrupt) corruptBefore.push(corruptBefore.at(-1)! + (bad ? 1 : 0));
  const blockedAt = (k: number): string | null => {
    const end = keep[k]! + 1;
    const start = Math.max(0, end - o.historyBars);
    if (corruptBefore[end]! === corruptBefore[start]!) return null;
    const window = { ...raw, ...Object.fromEntries(columns.map((c) => [c, raw[c].slice(start, end)])) } as Series;
    const asOfMs = raw.ts[end - 1]! + o.timeframeMs;
    return corruptDataReason(checkDataHealth(window, { timeframeMs: o.timeframeMs, asOfMs, minBars: 0 }), raw.symbol);
  };
  return { full, blockedAt };
}
