import type { Command } from 'commander';
import { errorMessage, toTraderError } from '../../../core/errors.ts';
import { decisionTime, parseUtcTime } from '../../../core/time.ts';
import { openExchangeSession } from '../../../market/exchange/exchange-session.ts';
import { fetchCandles, type FetchCandlesResult } from '../../../market/exchange/fetch-candles.ts';
import { syncMarkets } from '../../../market/exchange/sync-markets.ts';
import { parseTimeframe } from '../../../market/timeframes.ts';
import { MarketSymbol } from '../../../sdk/context-schemas.ts';
import { action, badInput, output, splitList, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { stoppableAction } from '../command-kit.ts';
import { quote } from '../../../core/quote.ts';

interface FetchFlags extends JsonFlag {
  exchange: string;
  symbols: string;
  timeframe: string;
  since?: string;
  until?: string;
  sandbox?: boolean;
}

const parseTime = (value: string | undefined, flag: string) =>
  value === undefined ? undefined : parseUtcTime(value, flag).getTime();

/** One line on stderr, rewritten in place, while a fetch runs on a terminal. */
function progress(enabled: boolean) {
  return (info: { symbol: string; stored: number; cursor: number; until: number }) => {
    if (!enabled) return;
    process.stderr.write(
      `\r${info.symbol}: ${info.stored} candles stored, at ${new Date(Math.min(info.cursor, info.until)).toISOString()}   `,
    );
  };
}

export function registerExchangeDataCommands(data: Command): void {
  withJson(data.command('fetch'))
    .description(
      'fetch closed candles from an exchange through ccxt into the cache (resumes from the last cached candle)',
    )
    .option('--exchange <id>', 'ccxt exchange id', 'binance')
    .requiredOption('--symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT')
    .option('--timeframe <tf>', 'candle timeframe', '1h')
    .option('--since <iso>', 'first candle wanted (default: after the last cached one, else the last 1000)')
    .option('--until <iso>', 'stop before this time (default: now)')
    .option('--sandbox', "use the exchange's testnet")
    .addHelpText(
      'after',
      '\nExample:\n  $ trader data fetch --exchange binance --symbols BTC/USDT,ETH/USDT --timeframe 1h --since 2024-01-01\n\nExit codes: 0 all fetched, 1 a symbol failed (the others are still fetched), 2 bad input.',
    )
    .action(
      stoppableAction(async (flags: FetchFlags) => {
        const symbols = splitList(flags.symbols);
        for (const s of symbols)
          if (!MarketSymbol.safeParse(s).success) throw badInput(`${quote(s)} is not a symbol like BTC/USDT.`);
        parseTimeframe(flags.timeframe);
        // A --since in the future has nothing to fetch: say so instead of asking the exchange.
        const since =
          flags.since === undefined ? undefined : decisionTime(flags.since, '--since', new Date()).getTime();
        const until = parseTime(flags.until, '--until');
        if (since !== undefined && until !== undefined && since >= until)
          throw badInput('--since must be before --until.');
        const session = await openExchangeSession(flags.exchange, { sandbox: flags.sandbox ?? false });
        const results = await withDb('data fetch', async (db) => {
          const out: (FetchCandlesResult | { symbol: string; error: string })[] = [];
          for (const symbol of symbols) {
            try {
              out.push(
                await fetchCandles(
                  db,
                  session.ex,
                  {
                    exchange: flags.exchange,
                    symbol,
                    timeframe: flags.timeframe,
                    ...(since !== undefined ? { since } : {}),
                    ...(until !== undefined ? { until } : {}),
                  },
                  { ...session, onPage: progress(!flags.json && process.stderr.isTTY) },
                ),
              );
            } catch (e) {
              const err = toTraderError(e);
              if (err.code === 'INTERRUPTED' || (err.code === 'BAD_INPUT' && symbols.length === 1)) throw err;
              out.push({ symbol, error: errorMessage(err) });
            }
            if (!flags.json && process.stderr.isTTY) process.stderr.write('\n');
          }
          return out;
        });
        const failed = results.filter((r) => 'error' in r);
        output(flags, { ok: failed.length === 0, exchange: flags.exchange, timeframe: flags.timeframe, results }, () =>
          results
            .map((r) =>
              'error' in r
                ? `${r.symbol}: FAILED: ${r.error}`
                : `${r.symbol}: ${r.stored} closed candles stored in ${r.pages} page(s), ${r.requests} request(s); newest ${r.last_ts === null ? 'none' : new Date(r.last_ts).toISOString()}`,
            )
            .join('\n'),
        );
        return failed.length > 0 ? 1 : 0;
      }),
    );

  withJson(data.command('markets'))
    .description("store the exchange's spot market metadata (precision, tick size, minimums, category) in instruments")
    .option('--exchange <id>', 'ccxt exchange id', 'binance')
    .option('--sandbox', "use the exchange's testnet")
    .addHelpText('after', '\nExample:\n  $ trader data markets --exchange binance')
    .action(
      action(async (flags: JsonFlag & { exchange: string; sandbox?: boolean }) => {
        const session = await openExchangeSession(flags.exchange, { sandbox: flags.sandbox ?? false });
        const rows = await withDb('data markets', (db) => syncMarkets(db, session.ex, session.policy, session));
        output(
          flags,
          { ok: true, exchange: flags.exchange, markets: rows.length, instruments: rows },
          () => `stored ${rows.length} ${flags.exchange} spot markets in instruments`,
        );
      }),
    );
}
