import { bounds } from '../../../core/bounds.ts';
import type { Command } from 'commander';
import { decisionTime } from '../../../core/time.ts';
import { buildMacroContext } from '../../../market/macro/build-macro-context.ts';
import {
  coingeckoBaseUrl,
  defaultCoingeckoTimeoutMs,
  recordGlobalSnapshot,
} from '../../../market/macro/coingecko-global.ts';
import { importMacroCsv, macroCsvFormats } from '../../../market/macro/import-macro-csv.ts';
import { macroCoverage } from '../../../market/macro/macro-repo.ts';
import { type Macro, macroMetricNames } from '../../../sdk/macro-schema.ts';
import { action, badInput, output, splitList, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';
import { quote } from '../../../core/quote.ts';

/** `trader macro ...`: import, fetch and inspect the macro series (TOTAL, BTC.D, USDT.D, ...). */

const iso = (ms: number) => new Date(ms).toISOString();

const parseAsOf = (value: string | undefined) => decisionTime(value, '--as-of', new Date());

function parseLookbacks(value: string): number[] {
  const items = splitList(value).map(Number);
  if (items.length === 0 || items.some((n) => !Number.isSafeInteger(n) || n < 1 || n > bounds.lookbackDays)) {
    throw badInput(
      `--lookbacks ${quote(value)} must be whole numbers of days from 1 to ${bounds.lookbackDays} separated by commas, like 7,30.`,
    );
  }
  return items;
}

function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > bounds.timeoutMs)
    throw badInput(
      `--timeout-ms ${quote(value)} must be a whole number of milliseconds from 1 to ${bounds.timeoutMs}.`,
    );
  return n;
}

const fmt = (v: number | null, unit: 'usd' | 'pct') =>
  v === null ? '-' : unit === 'usd' ? `${(v / 1e9).toFixed(1)}B USD` : `${v.toFixed(3)}%`;

function renderMacro(m: Macro): string {
  const lookbacks = Object.keys(m.trends.btc_d);
  const header = ['metric', 'value', ...lookbacks.map((k) => `${k} change`)];
  const rows = macroMetricNames
    .filter((name) => m[name] !== null)
    .map((name) => [
      name,
      fmt(m[name], name.endsWith('_usd') ? 'usd' : 'pct'),
      ...lookbacks.map((k) => {
        const t = m.trends[name][k];
        return t ? `${t.change_pct >= 0 ? '+' : ''}${t.change_pct.toFixed(2)}% ${t.direction}` : '-';
      }),
    ]);
  const staleNote = m.stale ? ` STALE (${m.age_hours.toFixed(0)} h old)` : '';
  return `Macro from ${m.source} as of ${m.as_of} (usable since ${m.visible_at})${staleNote}\n${table(header, rows)}`;
}

interface ImportFlags extends JsonFlag {
  source?: string;
}
interface FetchFlags extends JsonFlag {
  url?: string;
  timeoutMs: string;
}
interface ShowFlags extends JsonFlag {
  asOf?: string;
  source?: string;
  lookbacks: string;
}

export function registerMacroCommands(program: Command): void {
  const macro = program
    .command('macro')
    .description('macro data: total market cap and dominance (BTC.D, USDT.D), their trends');

  withJson(
    macro
      .command('import')
      .argument('<file>', 'daily macro CSV (CoinGecko or TradingView layout of the shared data set)'),
  )
    .description('validate a daily macro CSV and upsert it into macro_series in one transaction')
    .option('--source <id>', `coingecko_csv or tradingview_csv (default: recognised from the header)`)
    .addHelpText(
      'after',
      `\nHeaders:\n  coingecko_csv    ${macroCsvFormats.coingecko_csv}\n  tradingview_csv  ${macroCsvFormats.tradingview_csv}\n` +
        '\nExample:\n  $ trader macro import data/sample/macro/coingecko_dominance_daily_2023_2024.csv --source coingecko_csv',
    )
    .action(
      action(async (file: string, opts: ImportFlags) =>
        withDb('macro import', async (db) => {
          const result = await importMacroCsv(db, { file, source: opts.source });
          output(
            opts,
            { ok: true, file, ...result },
            () =>
              `Imported ${result.rows} daily rows from ${file} as ${result.source} ` +
              `(${iso(result.first_ts)} .. ${iso(result.last_ts)}); ${result.points_written} points inserted or updated.`,
          );
        }),
      ),
    );

  withJson(macro.command('fetch'))
    .description('fetch one market snapshot from CoinGecko /api/v3/global and store it (source coingecko_global)')
    .option('--url <base>', 'CoinGecko base URL (default: $TRADER_COINGECKO_URL or https://api.coingecko.com)')
    .option('--timeout-ms <ms>', 'give up after this many milliseconds', String(defaultCoingeckoTimeoutMs))
    .addHelpText(
      'after',
      '\nExample:\n  $ trader macro fetch --json\n\nExit codes: 0 stored, 1 CoinGecko unreachable, failing or timing out, 2 bad input.',
    )
    .action(
      action(async (opts: FetchFlags) => {
        const timeoutMs = parseTimeout(opts.timeoutMs);
        const baseUrl = opts.url ?? coingeckoBaseUrl();
        return withDb('macro fetch', async (db) => {
          const snap = await recordGlobalSnapshot(db, baseUrl, { timeoutMs });
          output(
            opts,
            {
              ok: true,
              source: 'coingecko_global',
              updated_at: snap.updated_at.toISOString(),
              points: snap.points,
              points_written: snap.points_written,
            },
            () =>
              `Stored CoinGecko snapshot of ${snap.updated_at.toISOString()}: ` +
              snap.points
                .map(
                  (p) => `${p.metric}=${p.metric.endsWith('.D') ? `${p.value.toFixed(3)}%` : p.value.toExponential(4)}`,
                )
                .join(', ') +
              '.',
          );
        });
      }),
    );

  withJson(macro.command('show'))
    .description('print the macro context a run would see: levels and trends, using only data visible at --as-of')
    .option('--as-of <iso>', 'decision time (UTC); default now')
    .option('--source <id>', 'use this source only (default: the one with the newest visible point)')
    .option('--lookbacks <days>', 'trend lookbacks in days, comma-separated', '7,30')
    .addHelpText('after', '\nExample:\n  $ trader macro show --as-of 2024-06-30T12:00:00Z --json')
    .action(
      action(async (opts: ShowFlags) => {
        const asOf = parseAsOf(opts.asOf);
        const lookbacks = parseLookbacks(opts.lookbacks);
        return withDb('macro show', async (db) => {
          const m = await buildMacroContext(db, asOf, { source: opts.source, lookbacks });
          const coverage = m ? [] : await macroCoverage(db);
          output(opts, { ok: true, as_of: asOf.toISOString(), macro: m }, () => {
            if (m) return renderMacro(m);
            if (coverage.length === 0)
              return 'No macro data stored yet: import some with trader macro import or trader macro fetch.';
            return (
              `No macro data is visible at ${asOf.toISOString()}${opts.source ? ` for source ${opts.source}` : ''}; stored: ` +
              [...new Set(coverage.map((c) => c.source))]
                .map((s) => {
                  const rows = coverage.filter((c) => c.source === s);
                  return `${s} ${iso(Math.min(...rows.map((c) => c.first_ts)))}..${iso(Math.max(...rows.map((c) => c.last_ts)))}`;
                })
                .join('; ') +
              '.'
            );
          });
        });
      }),
    );
}
