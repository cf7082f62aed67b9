import { candleCoverage, loadCandleRange } from '../market/candles-repo.ts';
import { isTimeframe, parseTimeframe } from '../market/timeframes.ts';
import type { Queryable } from '../store/db.ts';
import type { PriceCandle } from '../trading/paper/candle-exits.ts';

export type FinerBars = (barTs: number) => Promise<PriceCandle[] | null>;

/**
 * Where a bar that touched both its stop and a target is resolved: the cached candles of
 * a finer timeframe that divides the run's, finest first, used only when they cover the
 * whole bar without a gap (a partial picture could put the events in the wrong order); a
 * finer candle with unsound values counts as a gap.
 */
export async function finerBarsFor(
  q: Queryable,
  key: { exchange: string; symbol: string; timeframe: string },
): Promise<{ timeframes: string[]; load: FinerBars }> {
  const tf = parseTimeframe(key.timeframe);
  const timeframes = (await candleCoverage(q, { exchange: key.exchange, symbol: key.symbol }))
    .map((c) => c.timeframe)
    .filter((t) => isTimeframe(t) && parseTimeframe(t) < tf && tf % parseTimeframe(t) === 0)
    .sort((a, b) => parseTimeframe(a) - parseTimeframe(b));
  const load: FinerBars = async (barTs) => {
    for (const t of timeframes) {
      const step = parseTimeframe(t);
      const s = await loadCandleRange(q, { ...key, timeframe: t }, barTs, barTs + tf, { soundOnly: true });
      if (s.ts.length === tf / step && s.ts.every((ts, i) => ts === barTs + i * step)) {
        return s.ts.map((ts, i) => ({ ts, open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]! }));
      }
    }
    return null;
  };
  return { timeframes, load };
}
