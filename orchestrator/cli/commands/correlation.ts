import type { Command } from 'commander';
import { quote } from '../../../core/quote.ts';
import { parseUtcTime } from '../../../core/time.ts';
import { MarketSymbol } from '../../../sdk/context-schemas.ts';
import type { CorrelationRequest, CorrelationRunReport } from '../../../analysis/correlation-run.ts';
import { runCorrelationAnalysis } from '../../../analysis/correlation-run.ts';
import {
  correlationRanking,
  type CorrelationRanking,
  rankingCells,
  rankingHeader,
} from '../../../analysis/correlation-ranking.ts';
import { registerCorrelationMatrixCommand } from './correlation-matrix.ts';
import { action, badInput, output, splitList, wholeNumber, withDb, withJson, type JsonFlag } from '../command-kit.ts';
import { table } from '../table.ts';

/**
 * `trader correlation`: the seed's optional lead-coin analysis (section 9, analysis/).
 * `run` analyses stored candles on demand, even while the scheduled job is off; `show`
 * prints the ranked pairs. Both always print the seed's warning: informational only.
 */

interface RunFlags extends JsonFlag {
  from?: string;
  to?: string;
  lead?: string;
  alts?: string;
  threshold?: string;
  delay?: string;
}

interface ShowFlags extends JsonFlag {
  top: string;
  base?: string;
}

function symbolList(raw: string, flag: string): string[] {
  const list = splitList(raw);
  if (list.length === 0) throw badInput(`${flag} needs at least one symbol, e.g. ${flag} BTC/USDT.`);
  for (const s of list)
    if (!MarketSymbol.safeParse(s).success)
      throw badInput(`${flag}: ${quote(s)} is not a symbol like BTC/USDT (upper case BASE/QUOTE).`);
  if (new Set(list).size !== list.length) throw badInput(`${flag} lists a symbol twice.`);
  return list;
}

function threshold(raw: string): number {
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(n > 0) || n > 50)
    throw badInput(`--threshold is a move in percent above 0 and at most 50, like 2, not ${quote(raw)}.`);
  return n;
}

/** The run's overrides from its flags; every refusal is one sentence, before the database is opened. */
function runRequest(f: RunFlags): CorrelationRequest {
  const from = f.from === undefined ? undefined : parseUtcTime(f.from, '--from');
  const to = f.to === undefined ? undefined : parseUtcTime(f.to, '--to');
  if (from && to && from >= to) throw badInput('--from must be before --to.');
  return {
    from,
    to,
    lead: f.lead === undefined ? undefined : symbolList(f.lead, '--lead'),
    alts: f.alts === undefined ? undefined : symbolList(f.alts, '--alts'),
    thresholdPct: f.threshold === undefined ? undefined : threshold(f.threshold),
    delayBars: f.delay === undefined ? undefined : wholeNumber(f.delay, '--delay', 1, 24),
  };
}

function runText(r: CorrelationRunReport): string {
  const head = `${r.exchange} ${r.timeframe}, lead ${r.lead_coins.join(',')}, altcoins ${r.altcoins.join(',')}, moves over ${r.move_threshold_pct} %, delay ${r.delay_bars} bar${r.delay_bars === 1 ? '' : 's'}`;
  if (r.run_id === null) return `nothing new to analyse (${head}); window ${r.window.from} .. ${r.window.to}`;
  return [
    `analysed ${r.window.from} .. ${r.window.to} (${head})`,
    `${r.lead_moves} lead move${r.lead_moves === 1 ? '' : 's'}, ${r.events_found} event${r.events_found === 1 ? '' : 's'} stored, ${r.missing_bars} skipped for a missing altcoin candle; run ${r.run_id}`,
  ].join('\n');
}

function rankingText(r: CorrelationRanking): string {
  const state = r.enabled
    ? 'scheduled analysis: on'
    : 'scheduled analysis: off (enable_correlation_analysis is false; `trader correlation run` still works)';
  const body =
    r.pairs.length === 0
      ? 'No correlation events stored yet: run `trader correlation run`.'
      : table(rankingHeader, rankingCells(r.pairs));
  const shown = r.pairs.length < r.total_pairs ? ` (top ${r.pairs.length} of ${r.total_pairs} pairs)` : '';
  return [`Lead-coin correlation, ${r.exchange} ${r.timeframe}${shown}; ${state}`, body, '', r.warning].join('\n');
}

export function registerCorrelationCommands(program: Command): void {
  const group = program
    .command('correlation')
    .description(
      'how markets move together: the lead-coin analysis (how altcoins moved when BTC or ETH moved; informational only, never trades) and the return-correlation matrix',
    );

  withJson(group.command('run'))
    .description('analyse the stored candles: lead-coin moves and how each altcoin moved with them (audited)')
    .option(
      '--from <date>',
      'first lead bar analysed (UTC); default: where the last run stopped, else the first candle',
    )
    .option('--to <date>', 'end (UTC, exclusive); default: the newest stored lead candle')
    .option('--lead <list>', 'lead coins for this run (default: the configured ones, BTC/USDT,ETH/USDT)')
    .option('--alts <list>', 'altcoins for this run (default: configured, else the active markets)')
    .option('--threshold <pct>', 'a lead move is significant above this many percent in one bar (default 2)')
    .option('--delay <bars>', 'the delayed window: the altcoin bar this many bars later (default 1)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ trader correlation run --from 2024-01-01 --to 2024-04-01 --alts SOL/USDT,XRP/USDT,ADA/USDT',
        '  $ trader correlation run --threshold 3 --json',
        '',
        'Reads stored candles only (fetch them with `trader data fetch` or the scheduler). Works even while',
        'enable_correlation_analysis is false. Re-analysing a period updates its events, never duplicates them.',
        'Exit codes: 0 analysed, 2 bad input or a symbol without stored candles, 1 the database failed.',
      ].join('\n'),
    )
    .action(
      action(async (flags: RunFlags) => {
        const request = runRequest(flags);
        const { report, ranking } = await withDb('correlation run', async (db) => {
          const done = await runCorrelationAnalysis(db, request, { actor: 'USER' });
          return { report: done, ranking: await correlationRanking(db, { top: 20 }) };
        });
        output(flags, { ok: true, ...report, warning: ranking.warning }, () =>
          [runText(report), '', rankingText(ranking)].join('\n'),
        );
      }),
    );

  withJson(group.command('show'))
    .description('the ranked pairs: average efficiency, its std-dev (consistency), hit count, events')
    .option('--top <n>', 'how many pairs', '20')
    .option('--base <symbol>', 'only the pairs of this lead coin, e.g. BTC/USDT')
    .addHelpText(
      'after',
      '\nExample:\n  $ trader correlation show --top 10 --base BTC/USDT\n\nEfficiency = altcoin move / lead move in the same bar; hits: events where the altcoin moved the same way.',
    )
    .action(
      action(async (flags: ShowFlags) => {
        const top = wholeNumber(flags.top, '--top', 1, 1000);
        const base = flags.base === undefined ? undefined : symbolList(flags.base, '--base')[0];
        if (flags.base !== undefined && splitList(flags.base).length > 1) throw badInput('--base takes one symbol.');
        const ranking = await withDb('correlation show', (db) => correlationRanking(db, { top, base }));
        output(flags, { ok: true, ...ranking }, () => rankingText(ranking));
      }),
    );
  registerCorrelationMatrixCommand(group);
}
