import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlationRanking, correlationWarning } from '../../analysis/correlation-ranking.ts';
import { runCorrelationAnalysis } from '../../analysis/correlation-run.ts';
import { readCorrelationSettings } from '../../analysis/correlation-settings.ts';
import { type Bars, measureMoves } from '../../analysis/lead-moves.ts';
import { applyDocument, exportDocument } from '../../orchestrator/config-files/apply-document.ts';
import { systemTarget } from '../../orchestrator/config-files/system-target.ts';
import { runScheduledTick } from '../../orchestrator/schedule/run-due.ts';
import { addSchedule } from '../../orchestrator/schedule/schedule-admin.ts';
import type { ScheduleRow } from '../../orchestrator/schedule/schedule-row.ts';
import { tradingScope } from '../../trading/scope.ts';
import { answering } from '../helpers/config-files.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { altcoins, importQ1, leadCoins, Q1_FROM, Q1_TO, q1Columns } from './q1-sample.ts';

/**
 * The correlation analysis against the database, on both backends, over the real 2024 Q1
 * sample: runs on demand while the scheduled job is off, stores each event once however
 * often a period is analysed, audits each run with details.assets_analyzed, and the
 * scheduled job skips while enable_correlation_analysis is false and analyses once the
 * configuration file turns it on. One database per backend: the cases build on each other.
 */

const HOUR = 3_600_000;
const env = { ...process.env, TRADER_SYSTEM_MODE: 'TEST' };
const mid = Date.UTC(2024, 1, 15);
const bars = (symbol: string): Bars => ({ symbol, ...q1Columns(symbol) });
/** The events of lead bars before `toMs`, by the pure computation. */
const eventsBefore = (toMs: number) =>
  measureMoves(leadCoins.map(bars), altcoins.map(bars), {
    thresholdPct: 2,
    delayBars: 1,
    stepMs: HOUR,
    fromMs: Q1_FROM,
    toMs,
  }).events.length;

describe.each(backends)('the correlation analysis on %s', (kind) => {
  let db: TestDb;
  let schedule: ScheduleRow;
  beforeAll(async () => {
    db = await freshDb(kind);
    await importQ1(db);
    // Monitored by default: the active markets that are not lead coins (DOGE is inactive, BTC a lead coin).
    await db.query(
      `insert into asset_config (symbol, is_active) values ('BTC/USDT', true), ('SOL/USDT', true), ('XRP/USDT', true),
         ('ADA/USDT', true), ('DOGE/USDT', false)`,
    );
    schedule = await addSchedule(
      db,
      { cron: '5 * * * *', symbols: [], name: 'correlation', operation: { job: 'correlation', args: {} } },
      { now: new Date(Q1_FROM), env },
    );
  }, 60_000);
  afterAll(async () => db?.dispose());

  const count = async (table: string) =>
    (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;
  const audits = (action: string) =>
    db.query<{ actor: string; status: string; details: Record<string, unknown> }>(
      'select actor, status, details from audit_trail where action_type = $1 order by seq',
      [action],
    );

  it('runs on demand while the analysis is off; stores the events; audits PENDING then SUCCESS with assets_analyzed', async () => {
    expect((await readCorrelationSettings(db)).enable_correlation_analysis).toBe(false);
    const r = await runCorrelationAnalysis(db, { to: new Date(mid) }, { actor: 'USER' });
    const expected = eventsBefore(mid);
    expect(expected).toBeGreaterThan(50);
    expect(r).toMatchObject({
      window: { from: '2024-01-01T00:00:00.000Z', to: '2024-02-15T00:00:00.000Z' },
      lead_coins: leadCoins,
      altcoins: ['ADA/USDT', 'SOL/USDT', 'XRP/USDT'],
      events_found: expected,
      missing_bars: 0,
    });
    expect(await count('correlation_results')).toBe(expected);
    const rows = await audits('CORRELATION_ANALYSIS_RUN');
    expect(rows.map((a) => `${a.actor} ${a.status}`)).toEqual(['USER PENDING', 'USER SUCCESS']);
    expect(rows[1]!.details).toMatchObject({
      assets_analyzed: ['BTC/USDT', 'ETH/USDT', 'ADA/USDT', 'SOL/USDT', 'XRP/USDT'],
      window: { from: '2024-01-01T00:00:00.000Z', to: '2024-02-15T00:00:00.000Z' },
      events_found: expected,
      run_id: r.run_id,
    });
    // The hand-checked event of tests/analysis/lead-moves.test.ts, through the table.
    const [e] = await db.query<Record<string, number | string | Date>>(
      `select timestamp, base_delta, altcoin_delta, efficiency_score, delayed_efficiency_score, altcoin_price, run_id
       from correlation_results where base_coin = 'BTC/USDT' and altcoin = 'SOL/USDT' and timestamp = '2024-01-03T11:00Z'`,
    );
    expect(e).toMatchObject({ altcoin_price: 103.42, run_id: r.run_id });
    expect(e!.efficiency_score as number).toBeCloseTo(1.12396, 5);
    expect(e!.delayed_efficiency_score as number).toBeCloseTo(0.93703, 5);
  });

  it('a scheduled tick while enable_correlation_analysis is false does nothing but record the skip', async () => {
    const tick = new Date('2024-04-01T00:05:00Z');
    const result = await runScheduledTick(db, schedule, tick, { env });
    expect(result).toMatchObject({ outcome: 'ran', status: 'skipped' });
    expect(result.outcome === 'ran' && result.error).toMatch(/^not run: enable_correlation_analysis is false/);
    expect(await count('correlation_runs')).toBe(1);
    const [skip] = await audits('SCHEDULED_TICKS_SKIPPED');
    expect(skip).toMatchObject({ actor: 'SYSTEM', details: { job: 'correlation', tick: tick.toISOString() } });
    const [row] = await db.query<{ status: string }>('select status from schedule_ticks where tick = $1', [tick]);
    expect(row!.status).toBe('skipped');
  });

  it('turned on by the configuration file (audited), the next tick analyses from where the last run stopped', async () => {
    const target = systemTarget(tradingScope('TEST'));
    const applied = await applyDocument(
      db,
      target,
      { correlation: { enable_correlation_analysis: true } },
      { ask: answering(true), show: () => {} },
    );
    expect(applied.changed).toBe(true);
    expect((await exportDocument(db, target, 'TEST')).text).toContain('enable_correlation_analysis: true');
    const [config] = (await audits('CONFIG_APPLIED')).slice(-1);
    expect(config!.details.changes).toEqual([
      { path: 'correlation.enable_correlation_analysis', from: false, to: true },
    ]);

    const tick = new Date('2024-04-01T01:05:00Z');
    expect(await runScheduledTick(db, schedule, tick, { env })).toMatchObject({ outcome: 'ran', status: 'succeeded' });
    const [run] = (await audits('CORRELATION_ANALYSIS_RUN')).slice(-1);
    // From the last window's end less the one delay bar, to the newest stored lead candle.
    expect(run).toMatchObject({
      actor: 'SYSTEM',
      status: 'SUCCESS',
      details: { window: { from: '2024-02-14T23:00:00.000Z', to: '2024-04-01T00:00:00.000Z' } },
    });
    expect(await count('correlation_results')).toBe(207);
  });

  it('re-analysing the whole quarter updates the stored events and never duplicates one', async () => {
    const before = await db.query<{ id: number }>('select id from correlation_results order by id');
    const r = await runCorrelationAnalysis(db, { from: new Date(Q1_FROM), to: new Date(Q1_TO) }, { actor: 'USER' });
    expect(r.events_found).toBe(207);
    expect(await db.query('select id from correlation_results order by id')).toEqual(before);
    const credited = await db.query<{ run_id: string }>('select distinct run_id from correlation_results');
    expect(credited).toEqual([{ run_id: r.run_id }]);
  });

  it('ranks the pairs with the warning; a symbol without stored candles is refused before anything is written', async () => {
    const ranking = await correlationRanking(db, { top: 2, base: 'ETH/USDT' });
    expect(ranking).toMatchObject({ enabled: true, total_pairs: 3, warning: correlationWarning });
    expect(ranking.pairs.map((p) => [p.altcoin, p.events])).toEqual([
      ['ADA/USDT', 38],
      ['SOL/USDT', 38],
    ]);
    const audited = (await audits('CORRELATION_ANALYSIS_RUN')).length;
    await expectTraderError(
      runCorrelationAnalysis(db, { alts: ['DOGE/USDT'] }, { actor: 'USER' }),
      'NOT_FOUND',
      /^No stored binance 1h candles of DOGE\/USDT: import or fetch them first/,
    );
    expect((await audits('CORRELATION_ANALYSIS_RUN')).length).toBe(audited);
  });
});
