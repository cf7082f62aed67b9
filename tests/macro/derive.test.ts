import { describe, expect, it } from 'vitest';
import { deriveMacro, deriveLevelsAt, lagOf, trendOf, type RawMacroSeries } from '../../market/macro/derive.ts';
import { Macro } from '../../sdk/macro-schema.ts';
import { cgRaw, DAY, row } from './sample-macro.ts';

// Real rows of the shipped CoinGecko slice, written out so the expected numbers below are
// computed by hand from them (and checked to be what the file holds).
const D = {
  ts: 1709251200000,
  total: 2370379953175.6025,
  btc: 1206725326872.1362,
  usdt: 98821123301.17656,
  btcPct: 50.9085189172092,
}; // 2024-03-01
const D7 = { ts: 1708646400000, total: 2062791744782.2527, btc: 1007314397269.4122, usdt: 97790168760.62076 }; // 2024-02-23
const D30 = { ts: 1706659200000, total: 1727018514400.4976, btc: 839294111912.5715, usdt: 95993659299.87637 }; // 2024-01-31
const asOf = new Date('2024-03-02T00:00:00Z'); // the first moment the 2024-03-01 row is visible

describe('deriveMacro on real CoinGecko rows', () => {
  it('uses the rows it says it does', () => {
    expect(row('2024-03-01')).toMatchObject(D);
    expect(row('2024-02-23')).toMatchObject(D7);
    expect(row('2024-01-31')).toMatchObject(D30);
  });

  const m = deriveMacro(cgRaw('2024-01-01', '2024-03-01'), asOf)!;

  it('derives TOTAL, BTC.D, USDT.D and alts_d from the market caps', () => {
    expect(Macro.parse(m)).toEqual(m);
    const btcD = (100 * D.btc) / D.total;
    const usdtD = (100 * D.usdt) / D.total;
    expect(m.source).toBe('coingecko_csv');
    expect(m.as_of).toBe('2024-03-01T00:00:00.000Z');
    expect(m.visible_at).toBe('2024-03-02T00:00:00.000Z');
    expect(m.age_hours).toBe(24);
    expect(m.stale).toBe(false);
    expect(m.total_mcap_usd).toBe(D.total);
    expect(m.btc_d).toBeCloseTo(btcD, 12);
    expect(m.btc_d).toBeCloseTo(D.btcPct, 9); // the file's own column agrees
    expect(m.btc_d).toBeCloseTo(50.9085, 4);
    expect(m.usdt_d).toBeCloseTo(usdtD, 12);
    expect(m.usdt_d).toBeCloseTo(4.169, 3);
    expect(m.alts_d).toBeCloseTo(100 - btcD - usdtD, 12);
    expect(m.alts_d).toBeCloseTo(44.9225, 3);
    expect(m.eth_d).toBeNull();
    expect(m.alts_ex_eth_d).toBeNull();
    expect(m.total3_usd).toBeNull();
    expect(m.total_forward_filled).toBe(false);
  });

  it('computes 7d and 30d trends from the endpoints', () => {
    const totalPct7 = 100 * (D.total / D7.total - 1);
    expect(m.trends.total_mcap_usd['7d']).toEqual({
      lookback_days: 7,
      from: '2024-02-23T00:00:00.000Z',
      from_value: D7.total,
      change: D.total - D7.total,
      change_pct: expect.closeTo(totalPct7, 10),
      slope_per_day: expect.closeTo((D.total - D7.total) / 7, 0),
      threshold_pct: 1,
      direction: 'rising',
    });
    expect(totalPct7).toBeCloseTo(14.911, 2);
    expect(m.trends.total_mcap_usd['30d']!.change_pct).toBeCloseTo(100 * (D.total / D30.total - 1), 10);

    const btc7 = (100 * D7.btc) / D7.total;
    const btcNow = (100 * D.btc) / D.total;
    expect(m.trends.btc_d['7d']).toMatchObject({
      from_value: expect.closeTo(btc7, 12),
      change: expect.closeTo(btcNow - btc7, 12),
      direction: 'rising',
    });
    expect(m.trends.btc_d['7d']!.change_pct).toBeCloseTo((100 * (btcNow - btc7)) / btc7, 10); // about +4.25%

    const usdt7 = (100 * D7.usdt) / D7.total;
    const usdtNow = (100 * D.usdt) / D.total;
    expect(m.trends.usdt_d['7d']!.change_pct).toBeCloseTo((100 * (usdtNow - usdt7)) / usdt7, 10); // about -12%
    expect(m.trends.usdt_d['7d']!.direction).toBe('falling');
    expect(m.trends.eth_d['7d']).toBeNull();
  });

  it('calls a move inside the threshold flat, per metric', () => {
    const wide = deriveMacro(cgRaw('2024-01-01', '2024-03-01'), asOf, { flatThresholdPct: { btc_d: 5 } })!;
    expect(wide.trends.btc_d['7d']).toMatchObject({ direction: 'flat', threshold_pct: 5 });
    expect(wide.trends.total_mcap_usd['7d']).toMatchObject({ direction: 'rising', threshold_pct: 1 });
  });

  it('gives null trends when history is too short, and marks stale data', () => {
    const short = deriveMacro(cgRaw('2024-02-20', '2024-03-01'), new Date('2024-03-10T00:00:00Z'), {
      lookbacks: [7, 30, 90],
    })!;
    expect(short.trends.btc_d['7d']).not.toBeNull();
    expect(short.trends.btc_d['30d']).toBeNull();
    expect(short.trends.btc_d['90d']).toBeNull();
    expect(short.age_hours).toBe(9 * 24);
    expect(short.stale).toBe(true);
  });
});

describe('trendOf', () => {
  const ts = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((d) => d * DAY);
  it('takes the point exactly N days back, and tolerates one missing day', () => {
    const v = [100, 101, 102, 103, 104, 105, 106, 107, 110];
    expect(trendOf(ts, v, 7, 1)).toMatchObject({
      from: new Date(DAY).toISOString(),
      from_value: 101,
      change: 9,
      direction: 'rising',
    });
    const holed = { ts: ts.filter((t) => t !== DAY), v: v.filter((_, i) => i !== 1) };
    expect(trendOf(holed.ts, holed.v, 7, 1)).toMatchObject({ from_value: 100, slope_per_day: 10 / 8 });
    const bigHole = { ts: [0, 8 * DAY], v: [100, 110] };
    expect(trendOf(bigHole.ts, bigHole.v, 6, 1)).toBeNull();
  });
  it('is flat at exactly the threshold and falling below it', () => {
    expect(trendOf([0, DAY], [100, 101], 1, 1)!.direction).toBe('flat');
    expect(trendOf([0, DAY], [100, 98.9], 1, 1)!.direction).toBe('falling');
    expect(trendOf([0, DAY], [null, 98.9], 1, 1)).toBeNull();
  });
});

describe('other sources', () => {
  it('uses reported percentages when there are no market caps (TradingView)', () => {
    const raw: RawMacroSeries = {
      source: 'tradingview_csv',
      metrics: {
        'BTC.D': { ts: [0], value: [40.478070875115094] },
        'USDT.D': { ts: [0], value: [8.356776287407069] },
        TOTAL3: { ts: [0], value: [321588832377] },
      },
    };
    const m = deriveMacro(raw, new Date(DAY))!;
    expect(m).toMatchObject({
      total_mcap_usd: null,
      btc_d: 40.478070875115094,
      usdt_d: 8.356776287407069,
      total3_usd: 321588832377,
      total_forward_filled: null,
    });
    expect(m.alts_d).toBeCloseTo(100 - 40.478070875115094 - 8.356776287407069, 12);
    expect(Macro.safeParse(m).success).toBe(true);
  });

  it('adds alts_ex_eth_d when ETH.D is known (CoinGecko /global)', () => {
    const l = deriveLevelsAt(
      new Map([
        ['TOTAL', 3e12],
        ['BTC.D', 55],
        ['USDT.D', 4.5],
        ['ETH.D', 12],
      ]),
    );
    expect(l).toEqual({
      total_mcap_usd: 3e12,
      btc_d: 55,
      usdt_d: 4.5,
      eth_d: 12,
      alts_d: 40.5,
      alts_ex_eth_d: 28.5,
      total3_usd: null,
    });
  });

  it('makes daily rows wait one day and snapshots none; unknown sources wait a day', () => {
    expect([
      lagOf('coingecko_csv'),
      lagOf('tradingview_csv'),
      lagOf('coingecko_global'),
      lagOf('someone_else'),
    ]).toEqual([DAY, DAY, 0, DAY]);
  });
});
