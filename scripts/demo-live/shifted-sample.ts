import fs from 'node:fs';
import path from 'node:path';
import { sampleDataDir } from '../../core/paths.ts';
import { loadCsvCandles, type StandInCandle } from '../../simulator/csv.ts';

/**
 * The repository's own candle sample, moved in time so that LIVE decides on it now.
 * LIVE runs decide as of the wall clock (proposals expire, caps count per UTC day, the
 * exchange stamps fills now), so the sample is shifted by whole hours until the decision
 * bar of the paper demo (the hour closing 2024-03-05T02:00Z, when the default pipeline
 * buys both BTC and ETH) is the newest closed hour. What followed that bar in 2024 is the
 * price path the simulator replays afterwards.
 */

export const sampleDecisionClose = Date.UTC(2024, 2, 5, 2);
const hour = 3_600_000;

export interface ShiftedSample {
  symbol: string;
  /** candles up to the decision bar, shifted: the cached history and the exchange's klines */
  history: StandInCandle[];
  /** the candles after it (shifted too), for the simulator to replay */
  after: StandInCandle[];
  /** the decision bar's close: the price the exchange starts at */
  lastClose: number;
}

export function shiftedSample(base: 'BTC' | 'ETH', now: number): ShiftedSample {
  const shift = Math.floor(now / hour) * hour - sampleDecisionClose;
  const rows = loadCsvCandles(path.join(sampleDataDir, `binance_${base}-USDT_1h_2024.csv`)).map((c) => ({
    ...c,
    ts: c.ts + shift,
  }));
  const decided = sampleDecisionClose + shift;
  const history = rows.filter((c) => c.ts + hour <= decided);
  return {
    symbol: `${base}/USDT`,
    history,
    after: rows.filter((c) => c.ts >= decided),
    lastClose: history.at(-1)!.close,
  };
}

/** Writes candles as the sample's CSV (what `trader data import` reads). */
export function writeCandleCsv(file: string, candles: readonly StandInCandle[]): void {
  fs.writeFileSync(
    file,
    [
      'timestamp,open,high,low,close,volume',
      ...candles.map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume].join(',')),
    ].join('\n') + '\n',
  );
}
