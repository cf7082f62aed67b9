import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../core/paths.ts';
import { parseCandleCsv } from '../market/csv-candles.ts';
import { importCandleCsv } from '../market/import-csv.ts';
import { importMacroCsv } from '../market/macro/import-macro-csv.ts';
import { registerModuleFile } from '../orchestrator/registration.ts';
import { smaAt } from './user-modules/agents/sma_cross_v1.ts';
import { packFiles, packStrategies } from '../registry/default-pack.ts';
import type { Db } from '../store/db.ts';
import type { ChildCase, ChildResult } from './backtest-rate-child.ts';
import { type BenchDb, benchEnv, exchange, migrateAndSeed, openBenchDb, timeframe } from './fixtures.ts';
import { type Row, fmt, median, renderTable, spread } from './stats.ts';

/**
 * Figure 8: backtest replay rate. One PGlite bench database holds every real 1h series of
 * ../shared/data/market and the macro CSVs; each case is one `runBacktest` in a child
 * process (bench/backtest-rate-child.ts) so its peak RSS is its own; two more children run
 * the default pipeline and the 1-slot pipeline on BTC/USDT under `node --cpu-prof`, and
 * replayTimeBreakdown shows where the replay's time goes.
 */

const sharedDir = path.resolve(packageRoot, '../shared/data');
const marketDir = path.join(sharedDir, 'market');
const macroDir = path.join(sharedDir, 'macro');
const shippedMacro = path.join(packageRoot, 'data/sample/macro/coingecko_dominance_daily_2023_2024.csv');
const childScript = path.join(packageRoot, 'bench', 'backtest-rate-child.ts');
/** Bars of history before the first decision, as `trader backtest --history` defaults to. */
const HISTORY = 500;
/** One child may take this long before it is killed (the whole figure aims at under 3 minutes). */
const CHILD_TIMEOUT_MS = 120_000;
export const simplePipelineId = 'bench_simple';
/** The user-written SMA 10/30 cross (bench/user-modules/agents/sma_cross_v1.ts) alone: the issue's user-module figure. */
const smaPipelineId = 'bench_sma';
const smaModuleFile = path.join(packageRoot, 'bench', 'user-modules', 'agents', 'sma_cross_v1.ts');
const simpleModule = 'trend_volatility_v1';
const heavyStrategy = 'trend_following';
const btc = 'BTC/USDT';

interface Case {
  figure: string;
  reps: number;
  run: ChildCase;
  /** The performance issue's targets for this case, when it sets them. */
  target?: { rate: number; rssMb?: number };
}

interface Setup {
  symbols: string[];
  from: Date;
  to: Date;
  /** What was imported, for the notes. */
  candles: string[];
  macro: string[];
  ms: number;
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

/** Every module of the pack (migrateAndSeed registered the default pipeline's), the heavy strategy and the one-slot pipeline. */
async function registerExtras(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    for (const file of packFiles)
      await registerModuleFile(tx, path.join(packageRoot, 'modules', file), { activate: true, env: benchEnv });
    const strategy = packStrategies.find((s) => s.id === heavyStrategy)!;
    const positions = new Map<string, number>();
    for (const slot of strategy.slots) {
      const position = (positions.get(slot.stage) ?? 0) + 10;
      positions.set(slot.stage, position);
      await tx.query(
        'insert into strategy_config (strategy_id, pipeline_id, description, stage, position, module_id, params) values ($1, $2, $3, $4, $5, $6, $7)',
        [strategy.id, 'default', strategy.description, slot.stage, position, slot.module_id, slot.params ?? {}],
      );
    }
    await registerModuleFile(tx, smaModuleFile, { activate: true, env: benchEnv });
    for (const [pipeline, stage, module] of [
      [simplePipelineId, 'context', simpleModule],
      [smaPipelineId, 'agent', 'sma_cross_v1'],
    ])
      await tx.query('insert into pipeline_config (pipeline_id, stage, position, module_id) values ($1, $2, $3, $4)', [
        pipeline,
        stage,
        10,
        module,
      ]);
  });
}

/** Imports every 1h candle CSV and the macro CSVs; the span is BTC/USDT's file from its 501st bar to its last. */
export async function prepare(db: Db): Promise<Setup> {
  const t0 = performance.now();
  await migrateAndSeed(db);
  await registerExtras(db);
  const files = fs
    .readdirSync(marketDir)
    .filter((f) => /^binance_[A-Z0-9]+-[A-Z0-9]+_1h\.csv$/.test(f))
    .sort();
  const symbols: string[] = [];
  const candles: string[] = [];
  for (const f of files) {
    const [base, quote] = f.slice('binance_'.length, -'_1h.csv'.length).split('-') as [string, string];
    const symbol = `${base}/${quote}`;
    log(`figure 8: import ${f}`);
    const r = await importCandleCsv(db, { file: path.join(marketDir, f), exchange, symbol, timeframe });
    symbols.push(symbol);
    candles.push(
      `${symbol} ${r.rows} (${new Date(r.first_ts).toISOString().slice(0, 10)}..${new Date(r.last_ts).toISOString().slice(0, 10)})`,
    );
  }
  if (!symbols.includes(btc)) throw new Error(`no ${btc} 1h file in ${marketDir}`);
  // BTC first, the rest in file order: case (b) lists them all.
  symbols.sort((a, b) => Number(b === btc) - Number(a === btc));

  const macroFiles = fs.existsSync(macroDir)
    ? fs
        .readdirSync(macroDir)
        .filter((f) => f.endsWith('.csv'))
        .sort()
        .map((f) => path.join(macroDir, f))
    : [];
  if (macroFiles.length === 0) macroFiles.push(shippedMacro);
  const macro: string[] = [];
  for (const file of macroFiles) {
    const m = await importMacroCsv(db, { file });
    macro.push(
      `${path.relative(packageRoot, file)} (${m.source}, ${m.rows} days ${new Date(m.first_ts).toISOString().slice(0, 10)}..${new Date(m.last_ts).toISOString().slice(0, 10)})`,
    );
  }

  const btcFile = path.join(marketDir, 'binance_BTC-USDT_1h.csv');
  const ts = parseCandleCsv(fs.readFileSync(btcFile, 'utf8'), { timeframe, file: btcFile }).ts;
  if (ts.length <= HISTORY) throw new Error(`${btcFile} has ${ts.length} bars, fewer than the ${HISTORY} of warm-up`);
  return {
    symbols,
    from: new Date(ts[HISTORY]!),
    to: new Date(ts.at(-1)! + 3_600_000),
    candles,
    macro,
    ms: performance.now() - t0,
  };
}

export function childEnv(dbEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...benchEnv, ...dbEnv, TRADER_LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  return env;
}

export function runChild(env: NodeJS.ProcessEnv, c: ChildCase, nodeFlags: string[] = []): ChildResult {
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', childScript, JSON.stringify(c)], {
    cwd: packageRoot,
    env,
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 16 << 20,
  });
  if (r.error) throw new Error(`backtest child failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`backtest child exited ${r.status ?? r.signal}: ${r.stderr.slice(-1500)}`);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ChildResult;
}

// ---- where time goes: V8 CPU profile of the child ----

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export const timeCategories = [
  'modules/ (module code)',
  'zod (contract checks)',
  'technicalindicators (indicators)',
  'engine/run/ (context, slots, freezing)',
  'backtest/ (replay loop, fills, account)',
  'market/ (data health, macro)',
  'garbage collector',
  'other',
] as const;
type Category = (typeof timeCategories)[number];

/** The repo-relative path of a profile URL ('' for none; node: and other URLs as they are). */
function sourceOf(url: string): string {
  if (!url.startsWith('file://')) return url;
  return path
    .relative(packageRoot, fileURLToPath(url.split('?')[0]!))
    .split(path.sep)
    .join('/');
}

function categoryOf(source: string, functionName: string): Category {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (source.startsWith('node_modules/zod/')) return 'zod (contract checks)';
  if (source.startsWith('node_modules/technicalindicators/')) return 'technicalindicators (indicators)';
  if (source.startsWith('modules/')) return 'modules/ (module code)';
  if (source.startsWith('engine/run/')) return 'engine/run/ (context, slots, freezing)';
  if (source.startsWith('backtest/')) return 'backtest/ (replay loop, fills, account)';
  if (source.startsWith('market/')) return 'market/ (data health, macro)';
  return 'other';
}

export interface TimeBreakdown {
  /** Self time per category, ms: samples whose stack holds `replay`, plus GC samples between the first and last of them. */
  ms: Record<Category, number>;
  totalMs: number;
  /** Samples inside the replay's time window but not under it (idle, program, microtask plumbing), ms. */
  outsideMs: number;
  /** Heaviest functions by self time under replay. */
  top: { label: string; ms: number }[];
  /** Heaviest source files of the 'other' category. */
  otherSources: { source: string; ms: number }[];
  samples: number;
}

/**
 * Aggregates a .cpuprofile: the self time of each sample whose stack holds function
 * `replayLoop` (backtest/replay-loop.ts, in the module worker thread), by the category of its frame's source file. A frame with
 * no source URL (a V8 builtin such as Array.prototype.push, or code zod generates with
 * `new Function`) counts toward its nearest caller that has one. GC samples carry no
 * stack; those between the first and last replay sample are counted as GC.
 */
export function replayTimeBreakdown(profile: CpuProfile): TimeBreakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const isReplay = (n: CpuProfileNode) =>
    n.callFrame.functionName === 'replayLoop' && n.callFrame.url.split('?')[0]!.endsWith('/backtest/replay-loop.ts');

  // Per node: whether replay is on its stack, and the source its self time is charged to.
  const info = new Map<number, { underReplay: boolean; source: string }>();
  const infoOf = (id: number): { underReplay: boolean; source: string } => {
    const known = info.get(id);
    if (known) return known;
    const chain: number[] = [];
    let cur: number | undefined = id;
    let base: { underReplay: boolean; source: string } = { underReplay: false, source: '' };
    while (cur !== undefined) {
      const k = info.get(cur);
      if (k) {
        base = k;
        break;
      }
      chain.push(cur);
      cur = parent.get(cur);
    }
    // Resolve from the outermost unknown frame inwards.
    for (let i = chain.length - 1; i >= 0; i--) {
      const node = byId.get(chain[i]!)!;
      const source = sourceOf(node.callFrame.url);
      base = { underReplay: base.underReplay || isReplay(node), source: source || base.source };
      info.set(chain[i]!, base);
    }
    return info.get(id)!;
  };

  const { samples, timeDeltas } = profile;
  // A sample's duration is the gap to the next sample (the last one gets the median gap).
  const fallback = median(timeDeltas);
  const dur = (i: number) => (i + 1 < timeDeltas.length ? timeDeltas[i + 1]! : fallback) / 1000;
  const inReplay = samples.map((id) => infoOf(id).underReplay);
  const first = inReplay.indexOf(true);
  const last = inReplay.lastIndexOf(true);
  const ms = Object.fromEntries(timeCategories.map((c) => [c, 0])) as Record<Category, number>;
  const fn = new Map<string, number>();
  const other = new Map<string, number>();
  let outsideMs = 0;
  let count = 0;
  for (let i = Math.max(first, 0); first >= 0 && i <= last; i++) {
    const node = byId.get(samples[i]!)!;
    const { functionName, url } = node.callFrame;
    const d = dur(i);
    if (!inReplay[i] && functionName !== '(garbage collector)') {
      outsideMs += d;
      continue;
    }
    const source = infoOf(node.id).source;
    const category = categoryOf(source, functionName);
    ms[category] += d;
    count++;
    if (category === 'other') other.set(source || '(no source)', (other.get(source || '(no source)') ?? 0) + d);
    // tsx compiles each file so V8's line numbers are not the source's; name the function and file only.
    const label = `${functionName || '(anonymous)'}${url ? ` ${sourceOf(url)}` : source ? ` (no source URL: a builtin or generated code, called from ${source})` : ''}`;
    fn.set(label, (fn.get(label) ?? 0) + d);
  }
  const totalMs = Object.values(ms).reduce((a, b) => a + b, 0);
  const top = [...fn]
    .map(([label, t]) => ({ label, ms: t }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8);
  const otherSources = [...other]
    .map(([src, t]) => ({ source: src, ms: t }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 4);
  return { ms, totalMs, outsideMs, top, otherSources, samples: count };
}

function profileCase(env: NodeJS.ProcessEnv, c: ChildCase): { result: ChildResult; breakdown: TimeBreakdown } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-bench-prof-'));
  try {
    const result = runChild(env, c, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250']);
    // One profile per thread: the replay runs in the module worker's.
    const breakdowns = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => replayTimeBreakdown(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CpuProfile));
    const breakdown = breakdowns.sort((a, b) => b.samples - a.samples)[0];
    if (!breakdown?.samples) throw new Error(`node --cpu-prof wrote no profile of the replay into ${dir}`);
    return { result, breakdown };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the limit: the same rule as a hand-written typed-array loop ----

/**
 * The SMA 10/30 cross of bench_sma written by hand over typed arrays, on BTC/USDT's closes
 * from the same first decision bar: both averages with the module's own `smaAt`, then one
 * pass that finds the crosses. What a machine does with no engine at all; the engine's
 * figure is shown as a multiple of it.
 */
function handWrittenRow(from: Date, engineRate: number): Row {
  const file = path.join(marketDir, 'binance_BTC-USDT_1h.csv');
  const series = parseCandleCsv(fs.readFileSync(file, 'utf8'), { timeframe, file });
  const close = Float64Array.from(series.close);
  const first = series.ts.findIndex((t) => t >= from.getTime());
  const once = () => {
    const fast = new Float64Array(close.length);
    const slow = new Float64Array(close.length);
    for (let i = 0; i < close.length; i++) {
      fast[i] = smaAt(close, 10, i);
      slow[i] = smaAt(close, 30, i);
    }
    let crosses = 0;
    for (let i = Math.max(first, 1); i < close.length; i++)
      if (fast[i - 1]! <= slow[i - 1]! && fast[i]! > slow[i]!) crosses++;
    return crosses;
  };
  once();
  const rates: number[] = [];
  let crosses = 0;
  for (let r = 0; r < 20; r++) {
    const t0 = performance.now();
    crosses = once();
    rates.push((close.length - first) / ((performance.now() - t0) / 1000));
  }
  const rate = median(rates);
  return {
    figure: '8. the same SMA 10/30 cross, hand-written typed-array loop, BTC/USDT',
    backend: 'in-process',
    median: `${fmt(rate, 0)} bars/s`,
    range: spread(rates, 0),
    reps: '20 passes',
    notes: `the limit for figure 8's user-module row: ${crosses} crosses up over ${close.length - first} bars, both SMAs computed with the module's smaAt; the engine runs the same rule ${fmt(rate / engineRate, 0)}x slower (target: at most 20x)`,
  };
}

// ---- several backtests at once ----

/**
 * Every symbol as its own backtest (own account) of the default pipeline, run by
 * runBacktests with 1 worker and then with one per core, each in one child process: the
 * wall time of the whole set, and the speed-up.
 */
function parallelRows(
  env: NodeJS.ProcessEnv,
  symbols: string[],
  span: Omit<ChildCase, 'symbols' | 'pipelineId' | 'strategyId'>,
): Row[] {
  const cores = os.availableParallelism();
  const counts = [...new Set([1, 2, cores])].filter((w) => w <= Math.max(cores, 1));
  const walls = new Map<number, ChildResult>();
  for (const workers of counts) {
    log(`figure 8: ${symbols.length} backtests, ${workers} worker(s)`);
    walls.set(workers, runChild(env, { symbols, pipelineId: 'default', strategyId: null, ...span, workers }));
  }
  const one = walls.get(1)!;
  return counts.map((w) => {
    const r = walls.get(w)!;
    return {
      figure: `8. ${symbols.length} backtests (one per symbol), ${w} worker${w === 1 ? '' : 's'}, wall time`,
      backend: 'PGlite, child process',
      median: `${fmt(r.replay_ms / 1000, 1)} s`,
      range: '-',
      reps: '1 process',
      notes:
        `${r.bars_evaluated} bars in all, ${fmt(r.bars_evaluated / (r.replay_ms / 1000), 0)} bars/s together; speed-up over 1 worker ${fmt(one.replay_ms / r.replay_ms, 2)}x on ${cores} core(s) (target: near-linear); ` +
        `reading candles and saving results stay on the main thread; peak RSS ${fmt(r.max_rss_kb / 1024)} MB`,
    };
  });
}

// ---- the figure ----

export interface BacktestRateResult {
  rows: Row[];
  notes: string[];
  /** One line for the table's header block; null when the figure was skipped. */
  describe: string | null;
}

const outcomes = (d: Record<string, number>) =>
  Object.entries(d)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');

/** `open`, when given, holds the bench database while it exists (the caller's cleanup on a signal). */
export async function measureBacktestRate(open?: Set<BenchDb>): Promise<BacktestRateResult> {
  if (!fs.existsSync(marketDir))
    return {
      rows: [],
      notes: [
        `figure 8 skipped: ${path.relative(packageRoot, marketDir)} is absent (the full 1h histories live there)`,
      ],
      describe: null,
    };
  let b: BenchDb | undefined;
  try {
    b = await openBenchDb('pglite');
  } catch (e) {
    return {
      rows: [],
      notes: [`figure 8 skipped, cannot open PGlite (${e instanceof Error ? e.message : String(e)})`],
      describe: null,
    };
  }
  open?.add(b);
  try {
    log('figure 8: migrate, seed, import every 1h CSV and the macro CSVs');
    const setup = await prepare(b.db);
    log(`figure 8: setup took ${fmt(setup.ms / 1000)} s`);
    await b.close(); // the children open the PGlite directory (one process per data dir)
    const env = childEnv(b.cliEnv);
    const span = { from: setup.from.toISOString(), to: setup.to.toISOString(), historyBars: HISTORY };
    const cases: Case[] = [
      {
        figure: `8. backtest, default pipeline, ${btc}`,
        reps: 3,
        run: { symbols: [btc], pipelineId: 'default', strategyId: null, ...span },
        target: { rate: 1_200_000, rssMb: 250 },
      },
      {
        figure: `8. backtest, default pipeline, ${setup.symbols.length} symbols`,
        reps: 1,
        run: { symbols: setup.symbols, pipelineId: 'default', strategyId: null, ...span },
      },
      {
        figure: `8. backtest, ${simplePipelineId} (1 slot), ${btc}`,
        reps: 3,
        run: { symbols: [btc], pipelineId: simplePipelineId, strategyId: null, ...span },
      },
      {
        figure: `8. backtest, SMA 10/30 cross as a user module with prepare, ${btc}`,
        reps: 3,
        run: { symbols: [btc], pipelineId: smaPipelineId, strategyId: null, ...span },
        target: { rate: 10_000_000 },
      },
      {
        figure: `8. backtest, strategy ${heavyStrategy}, ${btc}`,
        reps: 1,
        run: { symbols: [btc], pipelineId: 'default', strategyId: heavyStrategy, ...span },
        target: { rate: 1_000_000 },
      },
    ];
    const rows: Row[] = [];
    const notes: string[] = [
      `figure 8: setup (migrate + seed + register the pack, ${simplePipelineId} and ${heavyStrategy} + import ${setup.symbols.length} 1h CSVs + ${setup.macro.length} macro CSV(s)) took ${fmt(setup.ms / 1000)} s, not part of any figure`,
    ];
    const rateOf = new Map<Case, number>();
    for (const c of cases) {
      const results: ChildResult[] = [];
      for (let i = 0; i < c.reps; i++) {
        log(`${c.figure} (${i + 1}/${c.reps})`);
        const r = runChild(env, c.run);
        log(
          `  ${r.bars_evaluated} bars in ${fmt(r.replay_ms / 1000, 2)} s replay, runBacktest ${fmt(r.duration_ms / 1000, 2)} s, child ${fmt(r.wall_ms / 1000, 1)} s, max RSS ${fmt(r.max_rss_kb / 1024)} MB`,
        );
        results.push(r);
      }
      const rates = results.map((r) => r.bars_evaluated / (r.replay_ms / 1000));
      const rss = results.map((r) => r.max_rss_kb / 1024);
      const last = results.at(-1)!;
      rateOf.set(c, median(rates));
      rows.push({
        figure: `${c.figure} bars/s`,
        backend: 'PGlite, child process',
        median: `${fmt(median(rates), 0)} bars/s`,
        range: spread(rates, 0),
        reps: `${c.reps} process${c.reps === 1 ? '' : 'es'}`,
        notes:
          `${c.target ? `target >= ${fmt(c.target.rate, 0)} bars/s (${fmt(c.target.rate / median(rates), 0)}x away); ` : ''}${fmt(1e6 / median(rates), 1)} µs/bar; ${last.bars_evaluated} bars evaluated in ${results.map((r) => fmt(r.replay_ms / 1000, 2)).join(', ')} s of replay (report replay_ms; runBacktest ${fmt(median(results.map((r) => r.duration_ms)) / 1000, 2)} s, child ${fmt(median(results.map((r) => r.wall_ms)) / 1000, 1)} s); ` +
          `${outcomes(last.decisions)}; ${last.trades} trades${last.module_errors ? `, ${last.module_errors} module errors` : ''}`,
      });
      rows.push({
        figure: `${c.figure} peak RSS`,
        backend: 'PGlite, child process',
        median: `${fmt(median(rss))} MB`,
        range: spread(rss),
        reps: `${c.reps} process${c.reps === 1 ? '' : 'es'}`,
        notes: `${c.target?.rssMb ? `target <= ${c.target.rssMb} MB; ` : ''}process.resourceUsage().maxRSS at the child's end (PGlite's WASM heap included); RSS at the first bar ${fmt(median(results.map((r) => r.rss_at_first_bar)) / 2 ** 20)} MB`,
      });
      if (c.run.symbols.length > 1)
        notes.push(
          `figure 8, ${c.figure.slice(3)}: bars evaluated per symbol ${Object.entries(last.per_symbol_bars)
            .map(([s, n]) => `${s} ${n}`)
            .join(', ')}`,
        );
      if (last.error_kinds.length > 0)
        notes.push(
          `figure 8, ${c.figure.slice(3)}: module errors (the replay goes on, as a live run does): ${last.error_kinds.map((e) => e.slice(0, 200)).join('; ')}`,
        );
    }

    // Where time goes: case (a) as asked, and the 1-slot floor, each once more under the sampling profiler.
    for (const c of [cases[0]!, cases[2]!]) {
      const what = c.figure.slice('8. backtest, '.length);
      log(`figure 8: where time goes (node --cpu-prof, ${what})`);
      const prof = profileCase(env, c.run);
      const bd = prof.breakdown;
      const pct = (x: number) => `${fmt((100 * x) / bd.totalMs, 1)}%`;
      notes.push(
        `figure 8, where the replay's time goes, ${what} (one more child under node --cpu-prof --cpu-prof-interval=250 µs, ${fmt(prof.result.bars_evaluated / (prof.result.replay_ms / 1000), 0)} bars/s while profiled; ` +
          `self time of the ${bd.samples} samples whose stack holds replay() plus GC samples between them, ${fmt(bd.totalMs / 1000, 2)} s): ` +
          timeCategories.map((k) => `${k} ${pct(bd.ms[k])}`).join(', ') +
          `; 'other' is mostly ${bd.otherSources.map((o) => `${o.source} ${pct(o.ms)}`).join(', ') || 'nothing'}; not under replay() in that window (idle, microtask plumbing): ${fmt(bd.outsideMs, 0)} ms`,
      );
      notes.push(
        `figure 8, heaviest functions by self time, ${what}: ${bd.top.map((t) => `${t.label} ${pct(t.ms)}`).join('; ')}`,
      );
    }
    notes.push(
      "figure 8, profile attribution: frames without a source URL (V8 builtins, zod's generated parsers) are charged to their nearest caller that has one; the profiled children run slower than the timed ones (sampling overhead), the shares are what matter",
    );
    rows.push(handWrittenRow(setup.from, rateOf.get(cases[3]!)!));
    rows.push(...parallelRows(env, setup.symbols, span));
    const perCore = rateOf.get(cases[2]!)!;
    notes.push(
      `figure 8: a replay is one single-threaded loop (no database query during it here: only 1h candles are imported, so a bar hitting stop and target never loads finer bars), so bars/s is per core; the 1-slot ${simplePipelineId} pipeline, the engine's per-bar floor, reaches ${fmt(perCore / 1e6, 3)} M bars/s (${fmt(1e6 / perCore, 1)} µs/bar) ` +
        `against the aim of more than 1 M bar-evaluations/s per core (1 µs/bar): ${perCore > 1e6 ? 'met' : `not met, ${fmt(1e6 / perCore, 0)}x short`}`,
    );
    const describe =
      `backtest replay (figure 8): runBacktest in a child process (node --import tsx bench/backtest-rate-child.ts) over one PGlite DB holding ${setup.candles.join(', ')} (binance, 1h, ../shared/data/market) and macro ${setup.macro.join('; ')}; ` +
      `span ${setup.from.toISOString()}..${setup.to.toISOString()} (BTC/USDT's 501st bar to its last; symbols that start later or end earlier have fewer bars), history ${HISTORY} bars, fee 10 bps, slippage 5 bps, equity 10000; ` +
      `${simplePipelineId} = ${simpleModule} alone (context stage); bars/s = bars_evaluated / replay_ms`;
    return { rows, notes, describe };
  } finally {
    open?.delete(b);
    await b.dispose();
  }
}

// Runnable alone: `npx tsx bench/backtest-rate.ts` prints figure 8's rows and notes.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The children log at warn; this process logs at TRADER_LOG_LEVEL (bench/run.ts sets warn before importing).
  const started = performance.now();
  const r = await measureBacktestRate();
  const out = [
    ...(r.describe ? [r.describe, ''] : []),
    renderTable(r.rows),
    '',
    ...r.notes.map((n) => `- ${n}`),
    `- figure 8 alone: ${fmt((performance.now() - started) / 1000)} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
