import type { Command } from 'commander';
import { candleCoverage } from '../../../market/candles-repo.ts';
import { importCandleCsv } from '../../../market/import-csv.ts';
import { action, output, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { registerDataCheckCommand } from './data-check.ts';
import { registerExchangeDataCommands } from './data-exchange.ts';

interface ImportFlags extends JsonFlag {
  exchange: string;
  symbol: string;
  timeframe: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('market data: fetch from exchanges, import candle CSV files, list stored history');
  registerExchangeDataCommands(data);
  registerDataCheckCommand(data);

  withJson(
    data
      .command('import')
      .argument('<file>', 'CSV with header timestamp,open,high,low,close,volume (open time, ms UTC)'),
  )
    .description('validate a candle CSV and upsert it into the candles table in one transaction')
    .option('--exchange <id>', 'lowercase ccxt exchange id', 'binance')
    .requiredOption('--symbol <symbol>', 'market symbol, like BTC/USDT')
    .requiredOption('--timeframe <tf>', 'candle timeframe: 1m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader data import data/sample/binance_BTC-USDT_1h_2024.csv --exchange binance --symbol BTC/USDT --timeframe 1h',
    )
    .action(
      action(async (file: string, opts: ImportFlags) =>
        withDb('data import', async (conn) => {
          const { exchange, symbol, timeframe } = opts;
          const result = await importCandleCsv(conn, { file, exchange, symbol, timeframe });
          output(
            opts,
            { ok: true, file, exchange, symbol, timeframe, ...result },
            () =>
              `Imported ${result.rows} ${timeframe} candles of ${symbol} on ${exchange} ` +
              `(${iso(result.first_ts)} .. ${iso(result.last_ts)}); ${result.inserted_or_updated} rows inserted or updated.`,
          );
        }),
      ),
    );

  withJson(data.command('list'))
    .description('list stored candle history per exchange, symbol and timeframe')
    .addHelpText('after', '\nExample:\n  $ trader data list --json')
    .action(
      action(async (opts: JsonFlag) =>
        withDb('data list', async (conn) => {
          const coverage = await candleCoverage(conn);
          output(opts, { ok: true, coverage }, () => {
            if (coverage.length === 0) return 'No candles stored yet: import some with trader data import.';
            const header = ['exchange', 'symbol', 'timeframe', 'first', 'last', 'rows'];
            const rows = coverage.map((c) => [
              c.exchange,
              c.symbol,
              c.timeframe,
              iso(c.first_ts),
              iso(c.last_ts),
              String(c.rows),
            ]);
            return table(header, rows);
          });
        }),
      ),
    );
}
