/**
 * The Binance stand-in driven by the REAL ccxt library (no mocked ccxt methods): markets,
 * klines (exact CSV values, paging, the still-open candle), tickers, server time.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { partialCandle, startBinanceStandIn, type BinanceStandIn } from '../../simulator/binance-stand-in.ts';
import { binanceAt, loadCcxt, rejectionOf, sampleCandles, sampleMarkets } from './fixtures.ts';

const HOUR = 3_600_000;
/** 2024-06-01T12:30Z: half-way through the 12:00 candle */
const NOW = Date.UTC(2024, 5, 1, 12, 30);
const toRow = (c: { ts: number; open: number; high: number; low: number; close: number; volume: number }) => [
  c.ts,
  c.open,
  c.high,
  c.low,
  c.close,
  c.volume,
];

let standIn: BinanceStandIn | undefined;
async function start(now = NOW): Promise<BinanceStandIn> {
  standIn = await startBinanceStandIn({ markets: sampleMarkets(), now: () => now });
  return standIn;
}

beforeAll(async () => {
  await loadCcxt();
});
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe('binance stand-in with real ccxt: markets', () => {
  it('loadMarkets reads only /api/v3/exchangeInfo and yields the filters as precision and limits', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    const btc = markets['BTC/USDT']!;
    expect(btc).toMatchObject({ id: 'BTCUSDT', base: 'BTC', quote: 'USDT', spot: true, type: 'spot', active: true });
    expect(btc.precision).toMatchObject({ price: 0.01, amount: 0.00001 });
    expect(btc.limits.amount).toEqual({ min: 0.00001, max: 9000 });
    expect(btc.limits.cost).toEqual({ min: 5, max: 9_000_000 });
    expect(btc.limits.price?.min).toBe(0.01);
    const eth = markets['ETH/USDT']!;
    expect(eth.precision).toMatchObject({ price: 0.01, amount: 0.0001 });
    expect(eth.limits.amount?.min).toBe(0.0001);
    expect(ex.amountToPrecision('BTC/USDT', 0.123456789)).toBe('0.12345');
    expect(ex.priceToPrecision('ETH/USDT', 3012.3456)).toBe('3012.35'); // ccxt rounds prices to the tick;
    expect(s.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /api/v3/exchangeInfo 200']);
    expect(s.requests.every((r) => r.at > 0 && r.serverNow === NOW)).toBe(true);
  });
});

describe('binance stand-in with real ccxt: OHLCV', () => {
  it('fetchOHLCV(since, 1000) returns exactly the CSV rows', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const csv = sampleCandles('BTC');
    const since = csv[10]!.ts;
    const got = await ex.fetchOHLCV('BTC/USDT', '1h', since, 1000);
    expect(got).toEqual(csv.slice(10, 1010).map(toRow));
    const req = s.requests.find((r) => r.path === '/api/v3/klines')!;
    expect(req.query).toMatchObject({ symbol: 'BTCUSDT', interval: '1h', startTime: String(since), limit: '1000' });
  });

  it('paging three pages with since equals the CSV slice', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const csv = sampleCandles('ETH');
    const all: number[][] = [];
    let since = csv[100]!.ts;
    for (let page = 0; page < 3; page++) {
      const rows = await ex.fetchOHLCV('ETH/USDT', '1h', since, 1000);
      expect(rows).toHaveLength(1000);
      all.push(...(rows as number[][]));
      since = rows[rows.length - 1]![0]! + HOUR;
    }
    expect(all).toEqual(csv.slice(100, 3100).map(toRow));
    expect(s.requests.filter((r) => r.path === '/api/v3/klines')).toHaveLength(3);
  });

  it('serves nothing after now() and the candle containing now() still open', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const csv = sampleCandles('BTC');
    const openIdx = csv.findIndex((c) => c.ts <= NOW && c.ts + HOUR > NOW);
    const rows = await ex.fetchOHLCV('BTC/USDT', '1h', undefined, 5);
    expect(rows.map((r) => r[0])).toEqual(csv.slice(openIdx - 4, openIdx + 1).map((c) => c.ts));
    expect(rows.slice(0, 4)).toEqual(csv.slice(openIdx - 4, openIdx).map(toRow));
    const open = rows[4]!;
    const full = csv[openIdx]!;
    expect(open).toEqual(toRow(partialCandle(full, '1h', NOW, { tickSize: 0.01, stepSize: 0.00001 })));
    expect(open[5]!).toBeLessThan(full.volume);
    expect(open[5]!).toBeCloseTo(full.volume / 2, 4);
    expect(open[1]).toBe(full.open);
    expect(open[2]!).toBeGreaterThanOrEqual(Math.max(open[1]!, open[4]!));
    expect(open[3]!).toBeLessThanOrEqual(Math.min(open[1]!, open[4]!));
    // asking from just before now gives the open candle only; nothing later exists yet
    const later = await ex.fetchOHLCV('BTC/USDT', '1h', full.ts, 1000);
    expect(later).toEqual([open]);
  });

  it('serves klines in Binance raw shape and honours endTime, default limit 500 and max 1000', async () => {
    const s = await start();
    const csv = sampleCandles('BTC');
    const get = async (q: string) => (await fetch(`${s.url}/api/v3/klines?${q}`)).json() as Promise<unknown[][]>;
    const [one] = await get(`symbol=BTCUSDT&interval=1h&startTime=${csv[0]!.ts}&limit=1`);
    expect(one).toEqual([
      csv[0]!.ts,
      '42283.58000000',
      '42554.57000000',
      '42261.02000000',
      '42475.23000000',
      '1271.68108000',
      csv[0]!.ts + HOUR - 1,
      expect.any(String),
      expect.any(Number),
      expect.any(String),
      expect.any(String),
      '0',
    ]);
    expect(await get(`symbol=BTCUSDT&interval=1h&startTime=${csv[0]!.ts}`)).toHaveLength(500);
    expect(await get(`symbol=BTCUSDT&interval=1h&startTime=${csv[0]!.ts}&limit=5000`)).toHaveLength(1000);
    const ending = await get(`symbol=BTCUSDT&interval=1h&endTime=${csv[50]!.ts}&limit=3`);
    expect(ending.map((r) => r[0])).toEqual([csv[48]!.ts, csv[49]!.ts, csv[50]!.ts]);
    expect(await get('symbol=BTCUSDT&interval=4h&limit=3')).toEqual([]);
  });

  it('answers unknown symbols and intervals with Binance errors that ccxt maps', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const { BadSymbol, BadRequest } = await loadCcxt();
    const badSymbol = await fetch(`${s.url}/api/v3/klines?symbol=DOGEUSDT&interval=1h`);
    expect(badSymbol.status).toBe(400);
    expect(await badSymbol.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    const badInterval = await fetch(`${s.url}/api/v3/klines?symbol=BTCUSDT&interval=7h`);
    expect(badInterval.status).toBe(400);
    expect(await badInterval.json()).toEqual({ code: -1120, msg: 'Invalid interval.' });
    expect(await rejectionOf(ex.publicGetKlines({ symbol: 'DOGEUSDT', interval: '1h' }))).toBeInstanceOf(BadSymbol);
    const e = await rejectionOf(ex.publicGetKlines({ symbol: 'BTCUSDT', interval: '7h' }));
    expect(e.constructor).toBe(BadRequest);
  });
});

describe('binance stand-in with real ccxt: tickers and time', () => {
  it('fetchTicker / fetchTickers come from candles up to now()', async () => {
    const s = await start();
    const ex = await binanceAt(s.url);
    const csv = sampleCandles('BTC');
    const openIdx = csv.findIndex((c) => c.ts <= NOW && c.ts + HOUR > NOW);
    const last = partialCandle(csv[openIdx]!, '1h', NOW, { tickSize: 0.01, stepSize: 0.00001 });
    const window = [...csv.slice(openIdx - 24, openIdx), last]; // candles overlapping (now-24h, now]
    const t = await ex.fetchTicker('BTC/USDT');
    expect(t.symbol).toBe('BTC/USDT');
    expect(t.timestamp).toBe(NOW);
    expect(t.last).toBe(last.close);
    expect(t.open).toBe(window[0]!.open);
    expect(t.high).toBe(Math.max(...window.map((c) => c.high)));
    expect(t.low).toBe(Math.min(...window.map((c) => c.low)));
    expect(t.baseVolume).toBeCloseTo(
      window.reduce((a, c) => a + c.volume, 0),
      6,
    );
    expect(t.bid!).toBeLessThanOrEqual(t.ask!);
    const all = await ex.fetchTickers();
    expect(Object.keys(all).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(all['BTC/USDT']!.last).toBe(last.close);
  });

  it('fetchTime returns now()', async () => {
    let now = NOW;
    standIn = await startBinanceStandIn({ markets: sampleMarkets(), now: () => now });
    const ex = await binanceAt(standIn.url);
    expect(await ex.fetchTime()).toBe(NOW);
    now += 1234;
    expect(await ex.fetchTime()).toBe(NOW + 1234);
  });
});
