import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getInstrument } from '../../market/instruments-repo.ts';
import { classifierFor, openExchange } from '../../market/exchange/ccxt-loader.ts';
import { defaultRetryPolicy } from '../../market/exchange/retry.ts';
import { syncMarkets } from '../../market/exchange/sync-markets.ts';
import { type BinanceStandIn, startBinanceStandIn } from '../../simulator/binance-stand-in.ts';
import { sampleMarkets } from '../simulator/fixtures.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

describe.each(backends)('storing exchange market metadata on %s', (kind) => {
  let db: TestDb;
  let standIn: BinanceStandIn;
  beforeEach(async () => {
    db = await freshDb(kind);
    standIn = await startBinanceStandIn({ markets: sampleMarkets(), now: () => Date.parse('2024-01-10T12:30:00Z') });
  });
  afterEach(async () => {
    await standIn.close();
    await db.dispose();
  });

  it('retries a garbled exchangeInfo instead of storing nothing, then stores precision and limits', async () => {
    standIn.faults.malformedJson({ path: '/api/v3/exchangeInfo', times: 1 });
    const ex = await openExchange('binance', { baseUrl: standIn.url });
    const waits: number[] = [];
    const rows = await syncMarkets(db, ex, defaultRetryPolicy, {
      classify: await classifierFor(ex),
      sleep: async (ms) => void waits.push(ms),
    });
    expect(rows.map((r) => r.symbol).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(waits).toHaveLength(1);
    expect(await getInstrument(db, 'binance', 'ETH/USDT')).toEqual({
      exchange: 'binance',
      symbol: 'ETH/USDT',
      base: 'ETH',
      quote: 'USDT',
      category: 'major',
      price_precision: 2,
      amount_precision: 4,
      tick_size: 0.01,
      min_qty: 0.0001,
      min_notional: 5,
    });
  });
});
