import os from 'node:os';
import type { BackendKind } from '../store/db.ts';
import { ccxtInstalled, cliArgs, haveTimeBin, measureColdStart, probeLoadedModules } from './cold-start.ts';
import { type BenchDb, asOf, importCandles, migrateAndSeed, openBenchDb, sixModules } from './fixtures.ts';
import { measureFullRun } from './full-run.ts';
import { measureOverhead } from './overhead.ts';
import { type Row, fmt, median, renderTable, spread } from './stats.ts';

const SYMBOLS = 50;
const OVERHEAD = { iterations: 3000, warmup: 300 };
const FULL_1 = { reps: 7, warmup: 1 };
const FULL_50 = { reps: 5, warmup: 1 };
const COLD = { reps: 5 };

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const outcomeText = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${v} ${k}`).join(', ');

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
  try {
    for (const kind of ['pglite', 'postgres'] as BackendKind[]) {
      const label = kind === 'pglite' ? 'PGlite (temp dir)' : 'Postgres (fresh DB)';
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
      notes.push(`${label}: setup (migrate + seed + import ${SYMBOLS + 1} x ${imported.barsPerSymbol} candles) took ${fmt((performance.now() - t0) / 1000)} s, not part of any figure`);
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
        notes.push(`figure 1 plan (pipeline bench6, B01/USDT = BTC 2024, as of ${asOf.toISOString()}, 500 bars): ${o.slots.join(' -> ')}`);
      }

      log(`${label}: runPipeline, 1 and ${SYMBOLS} symbols`);
      const one = await measureFullRun(b.db, ['B01/USDT'], FULL_1.reps, FULL_1.warmup);
      rows.push({ figure: '2. runPipeline, 1 symbol', backend: label, median: `${fmt(median(one.ms))} ms`, range: spread(one.ms), reps: `${FULL_1.reps} runs (${FULL_1.warmup} warm-up)`, notes: `default 5-module pipeline, cached candles, B01/USDT: ${outcomeText(one.outcomes)}` });
      const many = await measureFullRun(b.db, imported.symbols, FULL_50.reps, FULL_50.warmup);
      rows.push({ figure: `2. runPipeline, ${SYMBOLS} symbols`, backend: label, median: `${fmt(median(many.ms))} ms`, range: spread(many.ms), reps: `${FULL_50.reps} runs (${FULL_50.warmup} warm-up)`, notes: `${fmt(median(many.ms) / SYMBOLS, 2)} ms/symbol; outcomes per run: ${outcomeText(many.outcomes)}` });

      await b.close(); // the CLI needs the PGlite directory (one process per data dir)
      log(`${label}: cold start of node ${cliArgs.join(' ')}`);
      const cold = measureColdStart(b.cliEnv, COLD.reps);
      rows.push({ figure: '3. CLI cold start to exit', backend: label, median: `${fmt(median(cold.ms), 0)} ms`, range: spread(cold.ms, 0), reps: `${COLD.reps} processes`, notes: `spawn to exit of \`node ${cliArgs.join(' ')}\`${haveTimeBin ? ' under /usr/bin/time -v' : ''}` });
      const probe = probeLoadedModules(b.cliEnv);
      const rss = cold.rssMb.length > 0 ? cold.rssMb : [probe.maxRssMb];
      rows.push({ figure: '3. CLI peak RSS', backend: label, median: `${fmt(median(rss))} MB`, range: spread(rss), reps: `${rss.length} process${rss.length === 1 ? '' : 'es'}`, notes: cold.rssMb.length > 0 ? 'max resident set size from /usr/bin/time -v' : 'process.resourceUsage().maxRSS in a preloaded probe' });
      notes.push(
        `${label}: ccxt ${ccxtInstalled() ? 'IS installed' : 'is not installed (no node_modules/ccxt)'}; a probed run (node --import bench/load-probe.mjs) loaded ${probe.modules} modules, ${probe.ccxtHits.length === 0 ? 'none of them ccxt' : `ccxt among them: ${probe.ccxtHits.slice(0, 3).join(', ')}`}`,
      );
      open.delete(b);
      await b.dispose();
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const out = [
    `trader bench — Node ${process.version}, ${os.cpus().length} cores, ${os.platform()}; all figures are medians; TRADER_LOG_LEVEL=warn`,
    `6-module pipeline (figure 1): ${sixModules.join(', ')}; the 6th is bench/modules/agents/breakout_wide_v1.ts, breakout_v1's run function under its own id, a normal (non-shadow) slot`,
    `candles (figure 2): ${sourcesLine}`,
    `cold start (figure 3): the same databases (51 symbols cached), default pipeline, TRADER_MODULES_ROOT = repo root so the bench's registrations load`,
    '',
    renderTable(rows),
    '',
    ...notes.map((n) => `- ${n}`),
    `- whole bench: ${fmt((performance.now() - started) / 1000)} s; temp dirs removed, Postgres databases dropped`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
