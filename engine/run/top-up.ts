import { errorMessage } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { lastCandleTs } from '../../market/candles-repo.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import type { Db } from '../../store/db.ts';
import type { LogEntry } from './run-types.ts';

/**
 * Before a run decides, each symbol's cache must hold the newest candle closed by as_of.
 * Missing ones are fetched from the run's exchange, then from the configured secondary
 * sources (`data_sources`), so a scheduled run decides on the latest closed candle or
 * says why not. ccxt is loaded only when something is actually missing.
 */
export interface TopUpResult {
  /** The exchange whose cache the run should read for this symbol. */
  source: string;
  fetched: number;
  /** Why the cache could not be brought up to date (the run still decides on what is cached, and data health says it is stale). */
  error: string | null;
  fallback_from: string | null;
}

export type CandleFetcher = (source: string, symbol: string, sinceMs: number, untilMs: number) => Promise<number>;

export async function fallbackSources(db: Db, symbol: string): Promise<string[]> {
  const rows = await db.query<{ source: string }>(
    "select source from data_sources where data_type = 'candles' and symbol in ($1, '*') order by priority, source",
    [symbol],
  );
  return [...new Set(rows.map((r) => r.source))];
}

export async function topUpSymbol(
  db: Db,
  req: { exchange: string; symbol: string; timeframe: string; asOf: Date; historyBars: number; maxAgeBars: number },
  fetch: CandleFetcher,
): Promise<TopUpResult> {
  const tf = parseTimeframe(req.timeframe);
  const newestClosedOpen = Math.floor(req.asOf.getTime() / tf) * tf - tf;
  const sources = [req.exchange, ...(await fallbackSources(db, req.symbol)).filter((s) => s !== req.exchange)];
  const errors: string[] = [];
  for (const source of sources) {
    const key = { exchange: source, symbol: req.symbol, timeframe: req.timeframe };
    const cached = await lastCandleTs(db, key);
    if (cached !== null && cached >= newestClosedOpen - req.maxAgeBars * tf) {
      return { source, fetched: 0, error: null, fallback_from: source === req.exchange ? null : req.exchange };
    }
    const since = cached === null ? newestClosedOpen - (req.historyBars - 1) * tf : cached + tf;
    try {
      const fetched = await fetch(source, req.symbol, since, newestClosedOpen + tf);
      if (source !== req.exchange)
        logger.warn({ symbol: req.symbol, primary: req.exchange, source }, 'candles fetched from a fallback source');
      return { source, fetched, error: null, fallback_from: source === req.exchange ? null : req.exchange };
    } catch (e) {
      errors.push(`${source}: ${errorMessage(e)}`);
    }
  }
  return {
    source: req.exchange,
    fetched: 0,
    error: `could not fetch the newest candles (${errors.join('; ')})`,
    fallback_from: null,
  };
}

/** A run-log line about a symbol's data (no module, stage or outputs). */
function dataLog(symbol: string, level: LogEntry['level'], event: string, message: string): LogEntry {
  return {
    symbol,
    stage: null,
    module_id: null,
    module_version: null,
    level,
    event,
    message,
    rationale: null,
    outputs: null,
    context_snapshot: null,
    duration_ms: null,
  };
}

/** The run-log lines that say where a symbol's candles came from, when anything was fetched, fell back or failed. */
export function topUpLogs(symbol: string, t: TopUpResult | null): LogEntry[] {
  if (!t || (t.fetched === 0 && !t.error && !t.fallback_from)) return [];
  if (t.error) return [dataLog(symbol, 'warn', 'data_fetch_failed', t.error)];
  const where = t.fallback_from
    ? `from fallback source ${t.source} (primary ${t.fallback_from} failed)`
    : `from ${t.source}`;
  return [
    dataLog(
      symbol,
      t.fallback_from ? 'warn' : 'info',
      t.fallback_from ? 'data_fallback' : 'data_fetched',
      `fetched ${t.fetched} closed candle(s) ${where}`,
    ),
  ];
}

/** The run-log line saying the history was raised to the plan's warm-up (plan-warmup.ts), when it was. */
export function historyLogs(symbol: string, raised: string | null): LogEntry[] {
  return raised === null ? [] : [dataLog(symbol, 'info', 'history_raised', raised)];
}
