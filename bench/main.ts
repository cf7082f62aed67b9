import os from 'node:os';
import type { BackendKind } from '../store/db.ts';
import { type BacktestRateResult, measureBacktestRate } from './backtest-rate.ts';
import { ccxtInstalled, cliArgs, haveTimeBin, measureColdStart, probeLoadedModules } from './cold-start.ts';
import { migrate } from '../store/migrate.ts';
import { type BenchDb, asOf, importCandles, migrateAndSeed, openBenchDb, sixModules } from './fixtures.ts';
import { dashboardRows } from './dashboard-figure.ts';
import { backupRows } from './backup-figure.ts';
import { measureFullRun } from './full-run.ts';
import { measureIndicatorWindows } from './indicator-windows.ts';
import { measureShortStudy } from './optimise-figure.ts';
import { measureClusterFigure } from './cluster-figure.ts';
import { measureScaleOut } from './scale-out-figure.ts';
import { measureDistributedStudy } from './distributed-study-figure.ts';
import { type ModuleTimesResult, measureModuleTimes, prepareModuleDb } from './module-times.ts';
import { measureOverhead } from './overhead.ts';
import { measureServedRun } from './served-run.ts';
import { measureSandboxCost } from './sandbox-cost.ts';
import { type FetchSeries, fetchNow, fetchSeries, measureStandInFetch, startFetchStandIn } from './stand-in-fetch.ts';
import { type Row, fmt, median, renderTable, spread } from './stats.ts';
import { type UpsertSource, measureUpsertRate, upsertSources } from './upsert-rate.ts';

const SYMBOLS = 200;
const OVERHEAD = { iterations: 3000, warmup: 300 };
const FULL_1 = { reps: 7, warmup: 1 };
const FULL_MANY = { reps: 5, warmup: 1 };
const SERVED = { reps: 30, warmup: 3 };
const COLD = { reps: 5 };
const UPSERT = { rows: 1_000_000, reps: 3 };
const FETCH = { reps: 5, warmup: 1 };
const MODULES = { iterations: 500, warmup: 50 };
const SANDBOX = { passes: 300, barsFrom: 100, reps: 3 };

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const labelOf = (kind: BackendKind) => (kind === 'pglite' ? 'PGlite (temp dir)' : 'Postgres (fresh DB)');
const outcomeText = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');

const missingHours = (s: FetchSeries) =>
  Math.round((s.candles.at(-1)!.ts - s.since) / 3_600_000) + 1 - s.candles.length;
const yearsOf = (s: FetchSeries) => Math.round((s.candles.at(-1)!.ts - s.since) / (365.25 * 86_400_000));

export async function main(): Promise<number> {
  const started = performance.now();
  const rows: Row[] = [];
  const notes: string[] = [];
  const open = new Set<BenchDb>();
  const cleanup = async () => {
    for (const b of open) await b.dispose().catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
    open.clear();
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let sourcesLine = '';
  let sources: UpsertSource[];
  let series: FetchSeries | undefined;
  let modules: ModuleTimesResult | undefined;
  let backtest: BacktestRateResult | undefined;
  let windows: ReturnType<typeof measureIndicatorWindows> | undefined;
  let study: Awaited<ReturnType<typeof measureShortStudy>> | undefined;
  let cluster: Awaited<ReturnType<typeof measureClusterFigure>> | undefined;
  let scaleOut: Awaited<ReturnType<typeof measureScaleOut>> | undefined;
  let distributedStudy: Awaited<ReturnType<typeof measureDistributedStudy>> | undefined;
  const moduleRows: Row[] = [];
  const backupFigures: Row[] = [];
  try {
    for (const kind of ['pglite', 'postgres'] as BackendKind[]) {
      const label = labelOf(kind);
      let b: BenchDb;
      try {
        b = await openBenchDb(kind);
      } catch (e) {
        notes.push(`${label}: skipped, cannot open (${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
      open.add(b);
      log(`${label}: migrate, seed, import ${SYMBOLS} symbols`);
      const t0 = performance.now();
      await migrateAndSeed(b.db);
      const imported = await importCandles(b.db, SYMBOLS);
      notes.push(
        `${label}: setup (migrate + seed + import ${SYMBOLS + 1} x ${imported.barsPerSymbol} candles) took ${fmt((performance.now() - t0) / 1000)} s, not part of any figure`,
      );
      sourcesLine = `${SYMBOLS} synthetic symbols B01/USDT..B${SYMBOLS}/USDT cycle through ${imported.sources.length} real 1h series: ${imported.sources.map((s) => s.label).join(', ')}; each gets that series' 2024-01-01..2024-06-30 candles (${imported.barsPerSymbol} bars)`;

      if (kind === 'pglite') {
        log('orchestrator overhead per module call');
        const o = await measureOverhead(b.db, OVERHEAD.iterations, OVERHEAD.warmup);
        rows.push({
          figure: '1. orchestrator overhead / module call',
          backend: 'in-process',
          median: `${fmt(median(o.overheadUs), 2)} µs`,
          range: spread(o.overheadUs, 2),
          reps: `${OVERHEAD.iterations} runSymbol calls x ${o.modulesPerCall} modules (${OVERHEAD.warmup} warm-up)`,
          notes: `(runSymbol wall time - sum of log duration_ms) / ${o.modulesPerCall}; modules' own time median ${fmt(median(o.moduleUs), 2)} µs/call`,
        });
        notes.push(
          `figure 1 plan (pipeline bench6, B01/USDT = BTC 2024, as of ${asOf.toISOString()}, 500 bars): ${o.slots.join(' -> ')}`,
        );
        log('module sandbox: the same passes and bars in-process and through the worker (figure 9)');
        rows.push(...(await measureSandboxCost(b.db, SANDBOX)));
      }

      log(`${label}: runPipeline, 1 and ${SYMBOLS} symbols`);
      const one = await measureFullRun(b.db, ['B01/USDT'], FULL_1.reps, FULL_1.warmup);
      rows.push({
        figure: '2. runPipeline, 1 symbol',
        backend: label,
        median: `${fmt(median(one.ms))} ms`,
        range: spread(one.ms),
        reps: `${FULL_1.reps} runs (${FULL_1.warmup} warm-up)`,
        notes: `in-process runPipeline, the module worker kept from the previous run; default 5-module pipeline, cached candles, B01/USDT: ${outcomeText(one.outcomes)}`,
      });
      const many = await measureFullRun(b.db, imported.symbols, FULL_MANY.reps, FULL_MANY.warmup);
      rows.push({
        figure: `2. runPipeline, ${SYMBOLS} symbols`,
        backend: label,
        median: `${fmt(median(many.ms))} ms`,
        range: spread(many.ms),
        reps: `${FULL_MANY.reps} runs (${FULL_MANY.warmup} warm-up)`,
        notes: `${kind === 'postgres' ? 'target <= 1000 ms; ' : ''}${fmt(median(many.ms) / SYMBOLS, 2)} ms/symbol; outcomes per run: ${outcomeText(many.outcomes)}`,
      });

      await b.close(); // the CLI needs the PGlite directory (one process per data dir)
      log(`${label}: cold start of node ${cliArgs.join(' ')}`);
      const cold = measureColdStart(b.cliEnv, COLD.reps);
      rows.push({
        figure: '3. CLI cold start to exit',
        backend: label,
        median: `${fmt(median(cold.ms), 0)} ms`,
        range: spread(cold.ms, 0),
        reps: `${COLD.reps} processes`,
        notes: `target <= ${kind === 'postgres' ? 500 : 1000} ms; spawn to exit of \`node ${cliArgs.join(' ')}\`${haveTimeBin ? ' under /usr/bin/time -v' : ''}`,
      });
      const probe = probeLoadedModules(b.cliEnv);
      const rss = cold.rssMb.length > 0 ? cold.rssMb : [probe.maxRssMb];
      rows.push({
        figure: '3. CLI peak RSS',
        backend: label,
        median: `${fmt(median(rss))} MB`,
        range: spread(rss),
        reps: `${rss.length} process${rss.length === 1 ? '' : 'es'}`,
        notes: `${kind === 'postgres' ? 'target <= 120 MB; ' : ''}${cold.rssMb.length > 0 ? 'max resident set size from /usr/bin/time -v' : 'process.resourceUsage().maxRSS in a preloaded probe'}`,
      });
      if (kind === 'postgres') {
        const help = measureColdStart(b.cliEnv, COLD.reps, ['bin/trader.js', '--help']);
        rows.push({
          figure: '3. CLI cold start, trader --help',
          backend: 'no database',
          median: `${fmt(median(help.ms), 0)} ms`,
          range: spread(help.ms, 0),
          reps: `${COLD.reps} processes`,
          notes: `target <= 300 ms; spawn to exit of \`node bin/trader.js --help\`${help.rssMb.length > 0 ? `, peak RSS ${fmt(median(help.rssMb))} MB` : ''}`,
        });
      }
      log(`${label}: warm runs through trader serve`);
      const served = await measureServedRun(b.cliEnv, SERVED.reps, SERVED.warmup);
      rows.push({
        figure: '2. warm run through trader serve, 1 symbol',
        backend: label,
        median: `${fmt(median(served.ms))} ms`,
        range: spread(served.ms),
        reps: `${SERVED.reps} runs (${SERVED.warmup} warm-up)`,
        notes: `target <= 10 ms; POST /runs?wait=true (BTC/USDT, offline, as of ${asOf.toISOString()}) to \`trader serve\` on this database, request to whole summary: ${served.outcome}`,
      });
      notes.push(
        `${label}: ccxt ${ccxtInstalled() ? 'IS installed' : 'is not installed (no node_modules/ccxt)'}; a probed run (node --import bench/load-probe.mjs) loaded ${probe.modules} modules, ${probe.ccxtHits.length === 0 ? 'none of them from the ccxt package' : `ccxt package files among them: ${probe.ccxtHits.slice(0, 3).join(', ')}`}`,
      );
      open.delete(b);
      await b.dispose();
    }

    // Figures 6 and 7 (printed last) run here, in process, before the candle files and ccxt of 4-5 are in memory.
    {
      let b: BenchDb | undefined;
      try {
        b = await openBenchDb('pglite');
      } catch (e) {
        notes.push(`figures 6-7 skipped, cannot open PGlite (${e instanceof Error ? e.message : String(e)})`);
      }
      if (b) {
        open.add(b);
        log('pack modules and plans: migrate, seed, import BTC/USDT and macro');
        const t0 = performance.now();
        const macroLine = await prepareModuleDb(b.db);
        notes.push(
          `figures 6-7: setup (migrate + seedDefaults + import BTC/USDT 1h 2024 + macro CSV) took ${fmt((performance.now() - t0) / 1000)} s, not part of any figure`,
        );
        log(`pack modules and plans: ${MODULES.iterations} runSymbol calls per plan`);
        modules = await measureModuleTimes(b.db, macroLine, MODULES.iterations, MODULES.warmup);
        open.delete(b);
        await b.dispose();
        for (const m of modules.modules) {
          const us = m.ms.map((x) => x * 1000);
          const skipped = m.notRun.length > 0 ? `; not run in ${m.notRun.join('; ')}` : '';
          moduleRows.push({
            figure: `6. ${m.stage}/${m.module_id}`,
            backend: 'in-process',
            median: us.length > 0 ? `${fmt(median(us), 1)} µs` : 'n/a',
            range: us.length > 0 ? spread(us, 1) : 'n/a',
            reps:
              us.length > 0
                ? `${us.length} calls (${m.plans.length} plan${m.plans.length === 1 ? '' : 's'} x ${MODULES.iterations})`
                : '0 calls',
            notes: `own run time (log duration_ms) in ${m.plans.join(', ') || 'no plan'}${skipped}`,
          });
        }
        for (const p of modules.plans) {
          moduleRows.push({
            figure: `7. runSymbol, ${p.id === 'default' ? 'default pipeline' : `strategy ${p.id}`}`,
            backend: 'in-process',
            median: `${fmt(median(p.ms), 3)} ms`,
            range: spread(p.ms, 3),
            reps: `${MODULES.iterations} calls (${MODULES.warmup} warm-up)`,
            notes: `${p.slots} slots: ${p.outcome}; whole plan per symbol incl. orchestration, over a prebuilt initial context`,
          });
        }
      }
    }

    // Figure 8 (printed last): whole-history backtests, each in a child process of its own.
    log('backtest replay (figure 8): setup, then one child process per backtest');
    backtest = await measureBacktestRate(open);
    notes.push(...backtest.notes);

    // Figure 10: a short optimiser study on the shared history.
    log('optimiser study (figure 10)');
    study = await measureShortStudy(open);
    if (study) notes.push(study.note);

    // Figure 16: a six-market backtest with the correlated-cluster rule off and on.
    log('correlated-cluster rule off and on (figure 16)');
    cluster = await measureClusterFigure(open);
    if (cluster) notes.push(cluster.note);

    // Figures 17 and 19: a 1,000-symbol tick on 1, 2 and 4 workers, and the job queue's cost per job.
    log('distributed tick on 1, 2 and 4 workers, queue overhead (figures 17, 19)');
    scaleOut = await measureScaleOut(open);
    notes.push(...scaleOut.notes);
    log('optimiser study on 1, 2 and 4 workers (figure 18)');
    distributedStudy = await measureDistributedStudy(open);
    notes.push(...distributedStudy.notes);

    // Figure 14: the dashboard's pages at 100k audit rows, 10k runs and 50 backtests.
    log('dashboard pages (figure 14)');
    rows.push(...(await dashboardRows()));

    // Figure 9: the cost of SMA windows summed afresh (history-independent) against a running sum.
    log('SMA windows (figure 9)');
    windows = measureIndicatorWindows();

    // Figures 4 and 5 run after 1-3 so neither the parsed candle files nor ccxt (~470 MB) sit in memory during those.
    log('reading every candle file for figure 4');
    sources = upsertSources();
    series = fetchSeries();
    for (const kind of ['pglite', 'postgres'] as BackendKind[]) {
      const label = labelOf(kind);
      const fresh = async (): Promise<BenchDb | null> => {
        try {
          const b = await openBenchDb(kind);
          open.add(b);
          await migrate(b.db);
          return b;
        } catch (e) {
          notes.push(`${label}: figures 4-5 skipped, cannot open (${e instanceof Error ? e.message : String(e)})`);
          return null;
        }
      };
      const done = async (b: BenchDb) => {
        open.delete(b);
        await b.dispose();
      };

      const u = await fresh();
      if (!u) continue;
      const reps: { rate: number; ms: number }[] = [];
      let symbolsUsed = 0;
      for (let i = 0; i < UPSERT.reps; i++) {
        log(`${label}: upsert ${UPSERT.rows} candles into an empty table`);
        const r = await measureUpsertRate(u.db, sources, UPSERT.rows);
        if (r.counted !== UPSERT.rows || r.rows !== UPSERT.rows)
          throw new Error(`upsert bench wrote ${r.rows}, counted ${r.counted}, wanted ${UPSERT.rows}`);
        reps.push({ rate: r.rows / (r.ms / 1000), ms: r.ms });
        symbolsUsed = r.symbols;
        if (i + 1 < UPSERT.reps) await u.db.exec('truncate candles, instruments cascade');
      }
      const into = await fresh();
      if (into) {
        log(`${label}: backup and restore of the ${UPSERT.rows} candles (figure 15)`);
        backupFigures.push(...(await backupRows(u.db, into.db, label)));
        await done(into);
      }
      await done(u);
      const rates = reps.map((r) => r.rate);
      rows.push({
        figure: `4. upsertCandles, ${fmt(UPSERT.rows / 1e6, 0)}M rows`,
        backend: label,
        median: `${fmt(median(rates), 0)} rows/s`,
        range: spread(rates, 0),
        reps: `${UPSERT.reps} fresh insert${UPSERT.reps === 1 ? ' (one run only: 1M rows)' : 's, no warm-up'}`,
        notes: `target >= ${kind === 'postgres' ? '300,000' : '80,000'} rows/s; ${reps.map((r) => fmt(r.ms / 1000)).join(', ')} s per ${UPSERT.rows} rows under ${symbolsUsed} symbols, one transaction per symbol; empty migrated DB (truncated between runs); count(*) checked`,
      });

      const f = await fresh();
      if (!f) continue;
      const standIn = await startFetchStandIn(series);
      try {
        const medians: number[] = [];
        let klines = 0;
        for (const rateLimit of [undefined, 1]) {
          log(
            `${label}: fetchCandles through the stand-in${rateLimit === undefined ? '' : `, ccxt rateLimit ${rateLimit} ms`}`,
          );
          const r = await measureStandInFetch(f.db, standIn, series, FETCH.reps, FETCH.warmup, rateLimit);
          medians.push(median(r.ms));
          klines = r.paths['/api/v3/klines'] ?? 0;
          const paths = Object.entries(r.paths)
            .map(([p, n]) => `${n} ${p.replace('/api/v3/', '')}`)
            .join(' + ');
          rows.push({
            figure: `5. fetchCandles ${yearsOf(series)}y 1h via stand-in${rateLimit === undefined ? '' : ', rateLimit 1 ms'}`,
            backend: label,
            median: `${fmt(median(r.ms) / 1000, 2)} s`,
            range: spread(
              r.ms.map((x) => x / 1000),
              2,
            ),
            reps: `${FETCH.reps} fetches (${FETCH.warmup} warm-up)`,
            notes:
              `${fmt(r.last.stored / (median(r.ms) / 1000), 0)} candles/s; ${r.last.stored} candles stored (count ${r.counted}), ${r.last.pages} pages, ` +
              `${r.last.requests} requests (stand-in logged ${r.standInRequests}: ${paths}); DB calls ${fmt(median(r.dbMs) / 1000, 2)} s of it; ` +
              `ccxt rateLimit ${r.rateLimitMs} ms${rateLimit === undefined ? ' (binance default)' : ' (set after construction, throttler rebuilt)'}`,
          });
        }
        const limiter = medians[0]! - medians[1]!;
        notes.push(
          `${label}: figure 5, ccxt's rate limiter (binance rateLimit 50 ms; ccxt 4.5 costs exchangeInfo 4, time 0.2, klines 0.4 units, so about ${fmt((4 + 0.2 + 0.4 * klines) * 0.05, 2)} s of waits for 1 + 1 + ${klines} requests) ` +
            `accounts for ${fmt(limiter / 1000, 2)} s of the ${fmt(medians[0]! / 1000, 2)} s (difference to the rateLimit 1 ms run), ${limiter > medians[0]! / 2 ? 'most' : 'less than half'} of it; ` +
            'the rest is ccxt building and parsing requests, the stand-in serving them in this same process, and the per-page upsert transactions',
        );
      } finally {
        await standIn.close();
        await done(f);
      }
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const out = [
    `trader bench — Node ${process.version}, ${os.cpus().length} cores, ${os.platform()}; all figures are medians; TRADER_LOG_LEVEL=warn`,
    `6-module pipeline (figure 1): ${sixModules.join(', ')}; the 6th is breakout_wide_v1, breakout_v1's file under its own id (written to bench/modules/ at bench time), a normal (non-shadow) slot`,
    `candles (figure 2): ${sourcesLine}`,
    `cold start (figure 3): the same databases (51 symbols cached), default pipeline, TRADER_MODULES_ROOT = repo root so the bench's registrations load`,
    `upsert (figure 4): upsertCandles into a new migrated DB (each symbol's span is new, so binary COPY, 50,000-row statements); whole real series under synthetic symbols U001/USDT.., cycling until ${UPSERT.rows} rows: ${sources.map((s) => `${s.label} (${s.columns.ts.length})`).join(', ')}`,
    ...(series
      ? [
          `stand-in fetch (figure 5): BTC/USDT 1h, ${series.label}, ${series.candles.length} candles (${missingHours(series)} hour(s) absent from the real data) served by tests/stand-in (127.0.0.1, same process) with now = ${new Date(fetchNow).toISOString()}; fetchCandles(since ${new Date(series.since).toISOString()}), openExchange('binance', { baseUrl }), defaultRetryPolicy, classifierFor(ex); a new ccxt client and an emptied candles table per fetch`,
        ]
      : []),
    ...(modules
      ? [
          `pack modules (figures 6-7): every module in registry/default-pack.ts (seedDefaults), plans from preparePlans for BTC/USDT with the default pipeline and each pack strategy; initial context from buildInitialContext: binance BTC/USDT 1h, the ${modules.bars} bars closed by ${asOf.toISOString()} (${modules.firstBar}..${modules.lastBar}), macro from buildMacroContext over ${modules.macro}; figure 6 = median of each module's log duration_ms across all plans holding it, figure 7 = runSymbol wall time`,
        ]
      : []),
    ...(backtest?.describe ? [backtest.describe] : []),
    ...(windows ? [windows.note] : []),
    '',
    renderTable([
      ...rows,
      ...moduleRows,
      ...(backtest?.rows ?? []),
      ...(windows?.rows ?? []),
      ...(study ? [study.row] : []),
      ...(cluster?.rows ?? []),
      ...(scaleOut?.rows ?? []),
      ...(distributedStudy?.rows ?? []),
      ...backupFigures,
    ]),
    '',
    ...notes.map((n) => `- ${n}`),
    `- whole bench: ${fmt((performance.now() - started) / 1000)} s; temp dirs removed, Postgres databases dropped`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
