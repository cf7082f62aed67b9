import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Condition, conditionKeys, describeCondition, evaluateCondition } from '../../engine/plan/conditions.ts';
import { boundedSnapshot } from '../../engine/run/snapshot.ts';

const context = { market_state: { trend: 'up', regime: 'trending', adx: 31.5 }, symbol: 'BTC/USDT', signals: [] };

describe('run_when conditions', () => {
  it.each([
    [{ key: 'market_state.trend', op: 'eq', value: 'up' }, true],
    [{ key: 'market_state.trend', op: 'neq', value: 'up' }, false],
    [{ key: 'market_state.regime', op: 'in', value: ['ranging', 'trending'] }, true],
    [{ key: 'market_state.regime', op: 'not_in', value: ['trending'] }, false],
    [{ key: 'market_state.adx', op: 'gte', value: 31.5 }, true],
    [{ key: 'market_state.adx', op: 'gt', value: 31.5 }, false],
    [{ key: 'market_state.adx', op: 'lt', value: 40 }, true],
    [{ key: 'market_state.trend', op: 'lt', value: 40 }, false], // a string is never < a number
    [{ key: 'volatility.band', op: 'exists' }, false],
    [
      {
        all: [
          { key: 'symbol', op: 'eq', value: 'BTC/USDT' },
          { not: { key: 'market_state.trend', op: 'eq', value: 'down' } },
        ],
      },
      true,
    ],
    [
      {
        any: [
          { key: 'symbol', op: 'eq', value: 'ETH/USDT' },
          { key: 'market_state.adx', op: 'lte', value: 10 },
        ],
      },
      false,
    ],
  ])('%j is %s', (raw, expected) => {
    expect(evaluateCondition(Condition.parse(raw), context)).toBe(expected);
  });

  it('names the keys it reads and describes itself', () => {
    const c = Condition.parse({
      all: [{ key: 'market_state.trend', op: 'eq', value: 'up' }, { not: { key: 'volatility.band', op: 'exists' } }],
    });
    expect(conditionKeys(c)).toEqual(['market_state', 'volatility']);
    expect(describeCondition(c)).toBe('(market_state.trend eq "up" and not volatility.band exists)');
  });

  it.each([
    [{ key: 'market_state.trend', op: 'like', value: 'u%' }],
    [{ key: 'market_state.trend', op: 'in', value: 'up' }],
    [{ key: 'Market State', op: 'eq', value: 1 }],
    [{ all: [] }],
    [{ key: 'symbol', op: 'eq', value: 'x', extra: 1 }],
  ])('rejects %j', (raw) => {
    expect(Condition.safeParse(raw).success).toBe(false);
  });
});

describe('bounded context snapshots', () => {
  it('keeps the length and the last items of long arrays', () => {
    const closes = Array.from({ length: 500 }, (_, i) => i);
    expect(boundedSnapshot({ candles: { close: closes } })).toEqual({
      candles: { close: { length: 500, last: [495, 496, 497, 498, 499] } },
    });
  });

  it('never exceeds its byte bound, whatever it is given', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 200 }), fc.anything({ maxDepth: 8 }), { maxKeys: 400 }),
        (value) => {
          expect(JSON.stringify(boundedSnapshot(value)).length).toBeLessThanOrEqual(16_384);
        },
      ),
      { numRuns: 300 },
    );
  });
});
