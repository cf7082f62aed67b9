import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  type CliResult,
  adapterCliBackend,
  expectCleanError,
  expectJsonError,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';
import { type BinanceStandIn, startBinanceStandIn } from '../../simulator/binance-stand-in.ts';
import { sampleMarkets } from '../simulator/fixtures.ts';

/**
 * `trader data fetch`, `trader data markets` and a run's own top-up, end to end: the real bin
 * spawned against a fresh database, ccxt pointed at the Binance stand-in on 127.0.0.1 through
 * TRADER_EXCHANGE_URL_BINANCE. Paging and fault handling in detail are covered in-process by
 * tests/exchange/fetch-candles.test.ts; these check the CLI's wiring, output and exit codes.
 */

const H = 3_600_000;
const standInNow = Date.parse('2024-01-10T12:30:00Z'); // the 12:00 candle is still open there
const newestClosed = Date.parse('2024-01-10T11:00:00Z');
const since = '2024-01-09T00:00:00Z';
const closedSinceJan9 = 24 + 12; // 2024-01-09T00:00 .. 2024-01-10T11:00
const closedSinceJan1 = 9 * 24 + 12; // the sample's first candle is 2024-01-01T00:00

interface Coverage {
  exchange: string;
  symbol: string;
  timeframe: string;
  first_ts: number;
  last_ts: number;
  rows: number;
}

type FetchResult =
  | { symbol: string; stored: number; pages: number; requests: number; from: number; last_ts: number | null }
  | { symbol: string; error: string };

interface FetchDoc {
  ok: boolean;
  exchange: string;
  timeframe: string;
  results: FetchResult[];
}

const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;

// The bin on the embedded default only: fetching and storing through ccxt is tested in-process on both backends in tests/exchange/.
describe.each(adapterCliBackend)(
  'trader data fetch / data markets against the Binance stand-in (%s)',
  (kind: CliBackend) => {
    let standIn: BinanceStandIn;
    /** Each test works on a database of its own, migrated and seeded: a copy of the run's demo template. */
    let t: Target;

    /** The target's env with ccxt pointed at the stand-in (both variables, so nothing can reach a real host). */
    const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
      ...t.env,
      TRADER_EXCHANGE_URL_BINANCE: standIn.url,
      TRADER_EXCHANGE_URL: standIn.url,
      ...extra,
    });
    const trader = (args: string[], extra?: NodeJS.ProcessEnv) => runTrader(args, env(extra));
    const fetchArgs = (symbols: string, ...more: string[]) => [
      'data',
      'fetch',
      '--exchange',
      'binance',
      '--symbols',
      symbols,
      '--timeframe',
      '1h',
      '--since',
      since,
      ...more,
    ];

    async function coverage(): Promise<Coverage[]> {
      const r = await trader(['data', 'list', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return json<{ ok: true; coverage: Coverage[] }>(r).coverage;
    }

    beforeAll(async () => {
      standIn = await startBinanceStandIn({ markets: sampleMarkets(), now: () => standInNow });
    }, 120_000);
    afterAll(async () => {
      await standIn?.close();
    });
    beforeEach(async () => {
      t = await demoTarget(kind, { data: false });
    }, 120_000);
    afterEach(async () => {
      standIn.faults.clear();
      standIn.requests.length = 0;
      await t?.dispose();
    });

    it('data markets stores the spot markets with their precision, tick size, minimums and category', async () => {
      const r = await trader(['data', 'markets', '--exchange', 'binance', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = json<{ ok: boolean; exchange: string; markets: number; instruments: Record<string, unknown>[] }>(r);
      expect(doc).toMatchObject({ ok: true, exchange: 'binance', markets: 2 });
      const bySymbol = new Map(doc.instruments.map((i) => [i.symbol, i]));
      expect([...bySymbol.keys()].sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
      expect(bySymbol.get('BTC/USDT')).toEqual({
        exchange: 'binance',
        symbol: 'BTC/USDT',
        base: 'BTC',
        quote: 'USDT',
        category: 'major',
        price_precision: 2,
        amount_precision: 5,
        tick_size: 0.01,
        min_qty: 0.00001,
        min_notional: 5,
      });
      expect(bySymbol.get('ETH/USDT')).toEqual({
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
      // The traffic went to the stand-in.
      expect(standIn.requests.some((q) => q.path === '/api/v3/exchangeInfo')).toBe(true);

      const text = await trader(['data', 'markets', '--exchange', 'binance']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toBe('stored 2 binance spot markets in instruments\n');
    }, 60_000);

    it('data fetch stores exactly the closed candles of each symbol, and a rerun resumes with nothing new', async () => {
      const r = await trader(fetchArgs('BTC/USDT,ETH/USDT', '--json'));
      expect(r.code, r.stderr).toBe(0);
      const doc = json<FetchDoc>(r);
      expect(doc).toMatchObject({ ok: true, exchange: 'binance', timeframe: '1h' });
      expect(doc.results).toEqual(
        ['BTC/USDT', 'ETH/USDT'].map((symbol) => ({
          symbol,
          stored: closedSinceJan9,
          pages: 1,
          requests: expect.any(Number),
          from: Date.parse(since),
          last_ts: newestClosed,
        })),
      );
      const klines = standIn.requests.filter((q) => q.path === '/api/v3/klines');
      expect(klines.map((q) => [q.query.symbol, Number(q.query.startTime)])).toEqual([
        ['BTCUSDT', Date.parse(since)],
        ['ETHUSDT', Date.parse(since)],
      ]);

      const cov = await coverage();
      expect(cov).toEqual(
        ['BTC/USDT', 'ETH/USDT'].map((symbol) => ({
          exchange: 'binance',
          symbol,
          timeframe: '1h',
          first_ts: Date.parse(since),
          last_ts: newestClosed,
          rows: closedSinceJan9,
        })),
      );
      expect(new Date(cov[0]!.last_ts).toISOString()).toBe('2024-01-10T11:00:00.000Z');
      const snapshot = t.sql
        ? await t.sql`select symbol, ts, open, high, low, close, volume from candles order by symbol, ts`
        : null;

      standIn.requests.length = 0;
      const again = await trader(fetchArgs('BTC/USDT,ETH/USDT'));
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout.trimEnd().split('\n')).toEqual([
        'BTC/USDT: 0 closed candles stored in 0 page(s), 2 request(s); newest 2024-01-10T11:00:00.000Z',
        'ETH/USDT: 0 closed candles stored in 0 page(s), 2 request(s); newest 2024-01-10T11:00:00.000Z',
      ]);
      // Nothing newer is closed at the stand-in, so not a single klines request is made.
      expect(standIn.requests.filter((q) => q.path === '/api/v3/klines')).toEqual([]);
      expect(await coverage()).toEqual(cov);
      if (t.sql)
        expect(await t.sql`select symbol, ts, open, high, low, close, volume from candles order by symbol, ts`).toEqual(
          snapshot,
        );
    }, 60_000);

    it('a symbol the exchange does not list fails alone (exit 1); on its own it is bad input (exit 2)', async () => {
      const r = await trader(fetchArgs('BTC/USDT,DOGE/USDT', '--json'));
      expect(r.code, r.stderr).toBe(1);
      const doc = json<FetchDoc>(r);
      expect(doc.ok).toBe(false);
      expect(doc.results).toEqual([
        expect.objectContaining({ symbol: 'BTC/USDT', stored: closedSinceJan9, last_ts: newestClosed }),
        { symbol: 'DOGE/USDT', error: expect.stringMatching(/^DOGE\/USDT is not listed on binance \(spot\)/) },
      ]);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect((await coverage()).map((c) => [c.symbol, c.rows])).toEqual([['BTC/USDT', closedSinceJan9]]);

      const alone = await trader(fetchArgs('DOGE/USDT'));
      expectCleanError(
        alone,
        2,
        /DOGE\/USDT is not listed on binance \(spot\); check the symbol with `trader data markets --exchange binance`/,
      );
      const aloneJson = await trader(fetchArgs('DOGE/USDT', '--json'));
      expect(aloneJson.code).toBe(2);
      expect(expectJsonError(aloneJson, 'BAD_INPUT').error.message).toMatch(/DOGE\/USDT is not listed/);
    }, 60_000);

    it('persistent 500s on klines: one clear FAILED line per symbol after TRADER_FETCH_ATTEMPTS, exit 1, no stack trace', async () => {
      const fault = standIn.faults.serverError(500, { path: '/api/v3/klines' });
      const r = await trader(fetchArgs('BTC/USDT,ETH/USDT'), { TRADER_FETCH_ATTEMPTS: '2' });
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      for (const [i, symbol] of ['BTC/USDT', 'ETH/USDT'].entries()) {
        expect(lines[i]).toMatch(
          new RegExp(
            `^${symbol}: FAILED: binance ${symbol} 1h candles from 2024-01-09T00:00:00.000Z still failing after 2 attempts \\(.*\\); try again later\\.$`,
          ),
        );
      }
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toMatch(/TraderError|node:internal/);
      expect(fault.hits).toBe(4); // 2 attempts × 2 symbols, no more
      expect(await coverage()).toEqual([]);

      const asJson = await trader(fetchArgs('BTC/USDT', '--json'), { TRADER_FETCH_ATTEMPTS: '2' });
      expect(asJson.code, asJson.stderr).toBe(1);
      expect(json<FetchDoc>(asJson)).toEqual({
        ok: false,
        exchange: 'binance',
        timeframe: '1h',
        results: [{ symbol: 'BTC/USDT', error: expect.stringMatching(/still failing after 2 attempts/) }],
      });
    }, 60_000);

    it('bad input exits 2 with one line and never reaches the exchange', async () => {
      const cases: [string[], RegExp][] = [
        [['data', 'fetch', '--exchange', 'nosuch', '--symbols', 'BTC/USDT'], /Unknown exchange 'nosuch'/],
        [['data', 'markets', '--exchange', 'nosuch'], /Unknown exchange 'nosuch'/],
        [fetchArgs('BTC/USDT', '--until', '2024-01-08T00:00:00Z'), /--since must be before --until/],
        [['data', 'fetch', '--symbols', 'BTC/USDT', '--since', 'yesterday'], /--since 'yesterday' is not a UTC time/],
        [['data', 'fetch', '--symbols', 'BTC/USDT', '--timeframe', '7m'], /Unknown timeframe '7m'/],
        [['data', 'fetch', '--symbols', 'BTC/USDT,BTCUSDT'], /'BTCUSDT' is not a symbol like BTC\/USDT/],
      ];
      const results = await Promise.all(cases.map(([args]) => trader(args)));
      for (const [i, r] of results.entries()) expectCleanError(r, 2, cases[i]![1]);
      expect(standIn.requests).toEqual([]);
    }, 60_000);

    it('a run on a seeded database with no candles fetches its history first; --offline decides on the empty cache and fails', async () => {
      const asOf = '2024-01-10T12:30:00Z';
      const offline = await trader(['run', '--symbols', 'BTC/USDT', '--as-of', asOf, '--offline', '--json']);
      expect(offline.code, offline.stderr).toBe(1);
      const off = json<{
        run_id: string;
        status: string;
        symbols: { symbol: string; outcome: string; reason: string }[];
      }>(offline);
      expect(off.symbols).toEqual([
        expect.objectContaining({
          symbol: 'BTC/USDT',
          outcome: 'error',
          reason: expect.stringMatching(/^No 1h candles for BTC\/USDT on binance/),
        }),
      ]);
      expect(standIn.requests).toEqual([]);

      const online = await trader(['run', '--symbols', 'BTC/USDT', '--as-of', asOf, '--json']);
      expect(online.code, online.stderr).toBe(0);
      const run = json<{
        run_id: string;
        status: string;
        symbols: { symbol: string; outcome: string; reason: string }[];
      }>(online);
      expect(run.status).toBe('succeeded');
      expect(run.symbols).toHaveLength(1);
      expect(run.symbols[0]!.outcome, run.symbols[0]!.reason).not.toBe('error');
      // 1,000 bars back from the newest closed candle (2024-01-10T11:00): the default --history 500 raised to the
      // default pipeline's recorded warm-up (trend_volatility_v1's 1,000 bars); the sample starts 2024-01-01.
      const klines = standIn.requests.filter((q) => q.path === '/api/v3/klines');
      expect(Number(klines[0]!.query.startTime)).toBe(newestClosed - 999 * H);
      const cov = await coverage();
      expect(cov).toEqual([
        {
          exchange: 'binance',
          symbol: 'BTC/USDT',
          timeframe: '1h',
          first_ts: Date.parse('2024-01-01T00:00:00Z'),
          last_ts: newestClosed,
          rows: closedSinceJan1,
        },
      ]);

      const show = await trader(['runs', 'show', run.run_id]);
      expect(show.code, show.stderr).toBe(0);
      const fetchedLines = show.stdout.split('\n').filter((l) => l.includes('[data_fetched]'));
      expect(fetchedLines).toHaveLength(1);
      expect(fetchedLines[0]).toMatch(
        new RegExp(`\\[data_fetched\\]: fetched ${closedSinceJan1} closed candle\\(s\\) from binance$`),
      );
    }, 90_000);
  },
);
