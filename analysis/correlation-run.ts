import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TraderError, toTraderError } from '../core/errors.ts';
import { candleCoverage, loadCandleRange } from '../market/candles-repo.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import { MarketSymbol } from '../sdk/context-schemas.ts';
import type { Db, Queryable } from '../store/db.ts';
import { recordAudit } from '../trading/audit/audit-log.ts';
import { lastAnalysedTo, saveRun } from './correlation-repo.ts';
import { monitoredAltcoins, readCorrelationSettings } from './correlation-settings.ts';
import { measureMoves } from './lead-moves.ts';

/**
 * One correlation analysis run (`trader correlation run`, the scheduled job): the stored
 * candles of the lead coins and the altcoins, offline, over a window; the events stored
 * (re-analysing a period updates them), the run audited as the seed says:
 * CORRELATION_ANALYSIS_RUN PENDING, then SUCCESS or FAILURE with details.assets_analyzed.
 *
 * The default window runs from where the previous run of this market stopped, less the
 * delay (the delayed bars of its last events may not have been stored then), or from the
 * lead coins' first stored candle; to the newest stored lead candle, never past `now`.
 */

const DAY_MS = 86_400_000;

/** Flags override the stored settings for this run only. */
export const CorrelationRequest = z.object({
  from: z.date().optional(),
  to: z.date().optional(),
  lead: z.array(MarketSymbol).min(1).optional(),
  alts: z.array(MarketSymbol).min(1).optional(),
  thresholdPct: z.number().gt(0).max(50).optional(),
  delayBars: z.number().int().min(1).max(24).optional(),
});
export type CorrelationRequest = z.infer<typeof CorrelationRequest>;

export interface CorrelationRunReport {
  /** null when the window held no bar to analyse (nothing new since the last run). */
  run_id: string | null;
  exchange: string;
  timeframe: string;
  window: { from: string; to: string };
  lead_coins: string[];
  altcoins: string[];
  assets_analyzed: string[];
  move_threshold_pct: number;
  delay_bars: number;
  lead_moves: number;
  events_found: number;
  missing_bars: number;
}

type Plan = Omit<CorrelationRunReport, 'run_id' | 'window' | 'lead_moves' | 'events_found' | 'missing_bars'> & {
  stepMs: number;
  fromMs: number;
  toMs: number;
};

/** Every symbol must have stored candles: a typo or a market never fetched fails here, in one sentence. */
async function coverage(q: Queryable, exchange: string, timeframe: string, symbols: string[]) {
  const found = await candleCoverage(q, { exchange, timeframe });
  const bySymbol = new Map(found.map((c) => [c.symbol, c]));
  const absent = symbols.filter((s) => !bySymbol.has(s));
  if (absent.length > 0)
    throw new TraderError(
      'NOT_FOUND',
      `No stored ${exchange} ${timeframe} candles of ${absent.join(', ')}: import or fetch them first (\`trader data import\` or \`trader data fetch\`), or leave ${absent.length === 1 ? 'it' : 'them'} out.`,
    );
  return bySymbol;
}

async function planRun(q: Queryable, r: CorrelationRequest, now: Date): Promise<Plan> {
  const s = await readCorrelationSettings(q);
  const lead_coins = r.lead ?? s.lead_coins;
  // --alts is taken as given; the configured ones leave out what this run leads with.
  const altcoins = r.alts ?? (await monitoredAltcoins(q, { ...s, lead_coins })).filter((a) => !lead_coins.includes(a));
  if (altcoins.length === 0)
    throw new TraderError(
      'CONFIG_INVALID',
      'There is no altcoin to measure: no active market besides the lead coins; give --alts, or set correlation.altcoins in the configuration file.',
    );
  const stepMs = parseTimeframe(s.timeframe);
  const delay_bars = r.delayBars ?? s.delay_bars;
  const assets = [...new Set([...lead_coins, ...altcoins])];
  const cover = await coverage(q, s.exchange, s.timeframe, assets);
  const leads = lead_coins.map((l) => cover.get(l)!);
  const last = await lastAnalysedTo(q, s);
  const fromMs =
    r.from?.getTime() ?? (last !== null ? last - delay_bars * stepMs : Math.min(...leads.map((c) => c.first_ts)));
  const newest = Math.max(...leads.map((c) => c.last_ts)) + stepMs;
  const toMs = r.to?.getTime() ?? Math.min(newest, Math.floor(now.getTime() / stepMs) * stepMs);
  return {
    exchange: s.exchange,
    timeframe: s.timeframe,
    lead_coins,
    altcoins,
    assets_analyzed: assets,
    move_threshold_pct: r.thresholdPct ?? s.move_threshold_pct,
    delay_bars,
    stepMs,
    fromMs,
    toMs,
  };
}

export async function runCorrelationAnalysis(
  db: Db,
  request: CorrelationRequest,
  o: { actor: 'USER' | 'SYSTEM'; now?: Date },
): Promise<CorrelationRunReport> {
  const now = o.now ?? new Date();
  const p = await planRun(db, CorrelationRequest.parse(request), now);
  const window = { from: new Date(p.fromMs).toISOString(), to: new Date(Math.max(p.fromMs, p.toMs)).toISOString() };
  const what = {
    assets_analyzed: p.assets_analyzed,
    window,
    exchange: p.exchange,
    timeframe: p.timeframe,
    lead_coins: p.lead_coins,
    altcoins: p.altcoins,
    move_threshold_pct: p.move_threshold_pct,
    delay_bars: p.delay_bars,
  };
  const audit = (status: 'PENDING' | 'SUCCESS' | 'FAILURE', details: Record<string, unknown>) =>
    recordAudit(db, { mode: 'SYSTEM', actor: o.actor, action_type: 'CORRELATION_ANALYSIS_RUN', status, details });
  await audit('PENDING', what);
  let report: CorrelationRunReport;
  try {
    report = await analyse(db, p, o.actor, now, window);
  } catch (e) {
    const err = toTraderError(e);
    await audit('FAILURE', { ...what, error: `${err.code}: ${err.message}` }).catch(() => undefined);
    throw err;
  }
  await audit('SUCCESS', {
    ...what,
    run_id: report.run_id,
    lead_moves: report.lead_moves,
    events_found: report.events_found,
    missing_bars: report.missing_bars,
  });
  return report;
}

async function analyse(
  db: Db,
  p: Plan,
  actor: 'USER' | 'SYSTEM',
  now: Date,
  window: CorrelationRunReport['window'],
): Promise<CorrelationRunReport> {
  const { stepMs, fromMs, toMs, ...shown } = p;
  const empty = { ...shown, run_id: null, window, lead_moves: 0, events_found: 0, missing_bars: 0 };
  if (toMs <= fromMs) return empty;
  const key = (symbol: string) => ({ exchange: p.exchange, symbol, timeframe: p.timeframe });
  const leads = await Promise.all(
    p.lead_coins.map((l) => loadCandleRange(db, key(l), fromMs, toMs, { soundOnly: true })),
  );
  // The altcoins from a day before (their 24-hour volume) to the delayed bar of the last lead bar.
  const alts = await Promise.all(
    p.altcoins.map((a) =>
      loadCandleRange(db, key(a), fromMs - DAY_MS, toMs + p.delay_bars * stepMs, { soundOnly: true }),
    ),
  );
  const measured = measureMoves(leads, alts, {
    thresholdPct: p.move_threshold_pct,
    delayBars: p.delay_bars,
    stepMs,
    fromMs,
    toMs,
  });
  const run_id = randomUUID();
  await db.transaction((tx) =>
    saveRun(
      tx,
      {
        run_id,
        started_at: now,
        actor,
        exchange: p.exchange,
        timeframe: p.timeframe,
        window_from: fromMs,
        window_to: toMs,
        lead_coins: p.lead_coins,
        altcoins: p.altcoins,
        move_threshold_pct: p.move_threshold_pct,
        delay_bars: p.delay_bars,
        lead_moves: measured.leadMoves.length,
        events: measured.events.length,
        missing_bars: measured.missing.length,
      },
      measured.events,
    ),
  );
  return {
    ...empty,
    run_id,
    lead_moves: measured.leadMoves.length,
    events_found: measured.events.length,
    missing_bars: measured.missing.length,
  };
}
