import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, defaultRetryPolicy, withRetry } from '../../market/exchange/retry.ts';

describe('retry policy', () => {
  it('backoff never exceeds its exponential ceiling nor the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const wait = backoffMs(defaultRetryPolicy, attempt, () => r);
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThanOrEqual(
            Math.min(defaultRetryPolicy.maxDelayMs, defaultRetryPolicy.baseDelayMs * 2 ** (attempt - 1)),
          );
        },
      ),
    );
  });

  it('never puts a query string (signatures, keys) into its error', async () => {
    const failing = () =>
      Promise.reject(
        new Error(
          'binance GET https://api.binance.com/api/v3/order?symbol=BTCUSDT&signature=deadbeef&apiKey=SECRETKEY 500',
        ),
      );
    const err = await withRetry(
      'placing an order',
      failing,
      { ...defaultRetryPolicy, maxAttempts: 2 },
      { classify: () => ({ kind: 'transient' }), sleep: async () => {} },
    ).catch((e: Error) => e);
    expect(String(err)).toContain('placing an order still failing after 2 attempts');
    expect(String(err)).not.toMatch(/signature|deadbeef|SECRETKEY/);
  });

  it('cuts query strings from a permanent error it passes on, too', async () => {
    const bad = new Error('binance GET https://api.binance.com/api/v3/order?signature=deadbeef 400 Bad Request');
    const err = await withRetry('x', () => Promise.reject(bad), defaultRetryPolicy, {
      classify: () => ({ kind: 'permanent' }),
    }).catch((e: Error) => e);
    expect(err).toBe(bad);
    expect(err.message).toBe('binance GET https://api.binance.com/api/v3/order?… 400 Bad Request');
  });

  it('gives up at once on a permanent fault, without waiting', async () => {
    let calls = 0;
    const waits: number[] = [];
    const bad = new Error('Invalid symbol');
    await expect(
      withRetry('x', () => (calls++, Promise.reject(bad)), defaultRetryPolicy, {
        classify: () => ({ kind: 'permanent' }),
        sleep: async (ms) => void waits.push(ms),
      }),
    ).rejects.toBe(bad);
    expect([calls, waits]).toEqual([1, []]);
  });
});
