import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { getRunTrace } from '../../engine/run/runs-repo.ts';
import { type BinanceStandIn, startBinanceStandIn } from '../../simulator/binance-stand-in.ts';
import { sampleMarkets } from '../simulator/fixtures.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { runOptions, seededDb } from '../helpers/pipeline.ts';

const now = Date.parse('2024-01-10T12:30:00Z');

describe.each(backends)('a run tops up its candles first on %s', (kind) => {
  let db: TestDb;
  let primary: BinanceStandIn;
  let secondary: BinanceStandIn;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    db = await seededDb(kind);
    primary = await startBinanceStandIn({ markets: sampleMarkets(), now: () => now });
    secondary = await startBinanceStandIn({ markets: sampleMarkets(), now: () => now });
    env = {
      ...process.env,
      TRADER_EXCHANGE_URL_BINANCE: primary.url,
      TRADER_EXCHANGE_URL_BINANCEUS: secondary.url,
      TRADER_FETCH_ATTEMPTS: '2',
    };
  });
  afterEach(async () => {
    await primary.close();
    await secondary.close();
    await db.dispose();
  });

  const run = (symbols = ['BTC/USDT']) =>
    runPipeline(db, runOptions({ symbols, asOf: new Date(now), offline: false, env }));

  it('fetches the missing history, decides on the newest closed candle, and fetches nothing when the cache is fresh', async () => {
    const first = await run();
    expect(first.status).toBe('succeeded');
    const { logs } = await getRunTrace(db, first.run_id);
    expect(logs.find((l) => l.event === 'data_fetched')?.message).toBe('fetched 228 closed candle(s) from binance');
    const klines = primary.requests.filter((r) => r.path === '/api/v3/klines').length;
    const second = await run();
    expect(second.status).toBe('succeeded');
    expect(primary.requests.filter((r) => r.path === '/api/v3/klines').length).toBe(klines);
  });

  it('falls back to the configured secondary source when the primary keeps failing, and logs it', async () => {
    primary.faults.serverError(500, { path: '/api/v3/klines' });
    await db.query(
      "insert into data_sources (data_type, symbol, source, priority) values ('candles', '*', 'binanceus', 1)",
    );
    const summary = await run();
    expect(summary.symbols[0]!.outcome).not.toBe('error');
    const { logs } = await getRunTrace(db, summary.run_id);
    expect(logs.find((l) => l.event === 'data_fallback')?.message).toBe(
      'fetched 228 closed candle(s) from fallback source binanceus (primary binance failed)',
    );
    expect(secondary.requests.some((r) => r.path === '/api/v3/klines')).toBe(true);
  });

  it('marks a symbol whose data cannot be fetched as failed, with the reason, and decides the others', async () => {
    primary.faults.serverError(500, { path: '/api/v3/klines' });
    await db.query(
      "insert into data_sources (data_type, symbol, source, priority) values ('candles', 'ETH/USDT', 'binanceus', 1)",
    );
    const summary = await run(['BTC/USDT', 'ETH/USDT']);
    expect(summary.status).toBe('partial');
    expect(summary.symbols[0]).toMatchObject({ symbol: 'BTC/USDT', outcome: 'error' });
    expect(summary.symbols[0]!.reason).toMatch(/No 1h candles for BTC\/USDT/);
    expect(summary.symbols[1]!.outcome).not.toBe('error');
    const { logs } = await getRunTrace(db, summary.run_id);
    expect(logs.find((l) => l.symbol === 'BTC/USDT' && l.event === 'data_fetch_failed')?.message).toMatch(
      /^could not fetch the newest candles \(binance: .*still failing after 2 attempts/,
    );
  });
});
