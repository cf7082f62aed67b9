import { describe, expect, it } from 'vitest';
import { TraderError } from '../../core/errors.ts';
import { parseTimeframe, timeframeOffsetMs, timeframes } from '../../market/timeframes.ts';

describe('parseTimeframe', () => {
  it('converts every ccxt timeframe to its length in ms', () => {
    expect(timeframes.map((tf) => [tf, parseTimeframe(tf)])).toEqual([
      ['1m', 60_000],
      ['5m', 300_000],
      ['15m', 900_000],
      ['30m', 1_800_000],
      ['1h', 3_600_000],
      ['2h', 7_200_000],
      ['4h', 14_400_000],
      ['6h', 21_600_000],
      ['12h', 43_200_000],
      ['1d', 86_400_000],
      ['1w', 604_800_000],
    ]);
  });

  it.each(['1M', '1H', '3m', '', 'toString', '60'])('rejects %j as bad input listing the valid ones', (tf) => {
    let err: unknown;
    try {
      parseTimeframe(tf);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TraderError);
    expect((err as TraderError).code).toBe('BAD_INPUT');
    expect((err as TraderError).message).toBe(
      `Unknown timeframe '${tf}': use one of 1m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d, 1w.`,
    );
  });

  it('puts weekly candle opens on Mondays 00:00 UTC', () => {
    const monday = Date.UTC(2024, 0, 1); // 2024-01-01 was a Monday
    expect((monday - timeframeOffsetMs('1w')) % parseTimeframe('1w')).toBe(0);
    expect(timeframeOffsetMs('1d')).toBe(0);
  });
});
