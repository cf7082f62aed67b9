import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/paths.ts';
import { upsertCandles } from '../market/candles-repo.ts';
import { parseCandleCsv } from '../market/csv-candles.ts';
import { ensureInstrument } from '../market/instruments-repo.ts';
import { importMacroCsv } from '../market/macro/import-macro-csv.ts';
import { assertNoProblems, preparePlans } from '../engine/plan/prepare.ts';
import type { Plan } from '../engine/plan/plan-types.ts';
import { buildInitialContext } from '../engine/run/initial-context.ts';
import { runSymbol } from '../engine/run/symbol-runner.ts';
import { seedDefaults } from '../orchestrator/seed.ts';
import { defaultPipelineId, packFiles, packStrategies } from '../registry/default-pack.ts';
import { indicators } from '../sdk/indicators.ts';
import { stageOrder } from '../sdk/stages.ts';
import type { Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { asOf, benchAccount, benchCosts, benchRunState, exchange, timeframe } from './fixtures.ts';

/**
 * Figures 6 and 7: the shipped pack's modules and plans, in process, over one real
 * initial context (BTC/USDT 1h, the `bars` candles closed by as_of, macro from the
 * sample dominance CSV). Plans come from preparePlans on a migrated + seeded DB, so the
 * slots, params, run_when and contracts are the ones `trader run` uses.
 */

export const moduleBars = 1000;
const symbol = 'BTC/USDT';
const candleFile = path.join(packageRoot, 'data/sample/binance_BTC-USDT_1h_2024.csv');
const macroFile = path.join(packageRoot, 'data/sample/macro/coingecko_dominance_daily_2023_2024.csv');

export interface PlanTimes {
  /** 'default' pipeline or a strategy id. */
  id: string;
  slots: number;
  /** runSymbol wall time per iteration, ms. */
  ms: number[];
  /** How the last iteration ended: modules run, blocked or stopped, skipped slots. */
  outcome: string;
}

export interface ModuleTimes {
  module_id: string;
  stage: string;
  /** The module's own duration_ms per run, across iterations and plans. */
  ms: number[];
  /** Plans whose slot ran it (with a duration). */
  plans: string[];
  /** Plans that hold it but never ran it, with why (skipped, blocked). */
  notRun: string[];
}

export interface ModuleTimesResult {
  plans: PlanTimes[];
  modules: ModuleTimes[];
  bars: number;
  firstBar: string;
  lastBar: string;
  macro: string;
}

/** Fills a migrated, seeded DB with BTC/USDT 1h 2024 and the sample macro CSV. */
export async function prepareModuleDb(db: Db): Promise<string> {
  await migrate(db);
  await seedDefaults(db);
  const candles = parseCandleCsv(fs.readFileSync(candleFile, 'utf8'), { timeframe, file: candleFile });
  await db.transaction(async (tx) => {
    await ensureInstrument(tx, exchange, symbol);
    await upsertCandles(tx, { exchange, symbol, timeframe }, candles);
  });
  const m = await importMacroCsv(db, { file: macroFile });
  return `${path.relative(packageRoot, macroFile)} (${m.rows} days, ${m.points_written} points, source ${m.source})`;
}

export async function measureModuleTimes(
  db: Db,
  macroLine: string,
  iterations: number,
  warmup: number,
): Promise<ModuleTimesResult> {
  const state = benchRunState;
  const targets: { id: string; strategyId: string | null }[] = [
    { id: defaultPipelineId, strategyId: null },
    ...packStrategies.map((s) => ({ id: s.id, strategyId: s.id })),
  ];
  const sdk = { indicators };
  const byModule = new Map<string, ModuleTimes>();
  const plans: PlanTimes[] = [];
  let initialInfo = { bars: 0, firstBar: '', lastBar: '' };

  for (const t of targets) {
    const prepared = await preparePlans(db, {
      pipelineId: defaultPipelineId,
      strategyId: t.strategyId,
      symbols: [symbol],
      riskProfile: state.risk_profile,
    });
    assertNoProblems(defaultPipelineId, prepared.problems);
    const plan: Plan = prepared.plans.get(symbol)!;
    const run = {
      run_id: randomUUID(),
      pipeline_id: defaultPipelineId,
      strategy_id: t.strategyId,
      ...state,
      exchange,
      timeframe,
      as_of: asOf.toISOString(),
      trigger: 'bench',
    };
    const built = await buildInitialContext(db, {
      run,
      symbol,
      candleSource: exchange,
      historyBars: moduleBars,
      minBars: 100,
      maxAgeBars: 0,
      account: benchAccount,
      maxRiskPct: 1,
      maxLeverage: 1,
      costs: benchCosts,
    });
    if ('blocked' in built) throw new Error(built.blocked);
    const initial = built.context;
    const c = initial.candles as { ts: number[] };
    initialInfo = {
      bars: c.ts.length,
      firstBar: new Date(c.ts[0]!).toISOString(),
      lastBar: new Date(c.ts.at(-1)!).toISOString(),
    };
    if (c.ts.length !== moduleBars) throw new Error(`initial context has ${c.ts.length} bars, wanted ${moduleBars}`);

    for (const slot of plan.slots) {
      if (!byModule.has(slot.module_id))
        byModule.set(slot.module_id, { module_id: slot.module_id, stage: slot.stage, ms: [], plans: [], notRun: [] });
    }
    for (let i = 0; i < warmup; i++) runSymbol(plan, symbol, initial, sdk);
    const ms: number[] = [];
    const ranIn = new Map<string, number>();
    let last: ReturnType<typeof runSymbol> | undefined;
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      const r = runSymbol(plan, symbol, initial, sdk);
      ms.push(performance.now() - t0);
      for (const log of r.logs) {
        if (log.duration_ms === null || log.duration_ms === undefined || !log.module_id) continue;
        byModule.get(log.module_id)!.ms.push(log.duration_ms);
        ranIn.set(log.module_id, (ranIn.get(log.module_id) ?? 0) + 1);
      }
      last = r;
    }
    for (const slot of plan.slots) {
      const m = byModule.get(slot.module_id)!;
      if (ranIn.has(slot.module_id)) m.plans.push(t.id);
      else {
        const entry = last!.logs.find((l) => l.module_id === slot.module_id);
        const why = entry
          ? entry.message
          : last!.blockedBy
            ? `blocked earlier by ${last!.blockedBy.module_id}`
            : last!.stoppedBy
              ? `stopped by ${last!.stoppedBy.module_id}`
              : 'not reached';
        m.notRun.push(`${t.id}: ${why}`);
      }
    }
    const skipped = last!.logs.filter((l) => l.event === 'skipped').length;
    const outcome =
      `${last!.modulesRun}/${plan.slots.length} modules ran` +
      (skipped ? `, ${skipped} skipped` : '') +
      (last!.blockedBy ? `, blocked by ${last!.blockedBy.module_id}` : '') +
      (last!.stoppedBy ? `, stopped by ${last!.stoppedBy.module_id}` : '') +
      (last!.errors.length ? `, ${last!.errors.length} error(s)` : '');
    plans.push({ id: t.id, slots: plan.slots.length, ms, outcome });
  }

  // Every module of the pack gets a row, even one no plan holds.
  for (const file of packFiles) {
    const id = path.basename(file, '.ts');
    if (!byModule.has(id))
      byModule.set(id, { module_id: id, stage: stageOfDir(file), ms: [], plans: [], notRun: ['in no plan'] });
  }
  const rank = (s: string) => stageOrder.indexOf(s as (typeof stageOrder)[number]);
  const order = (id: string) => packFiles.findIndex((f) => path.basename(f, '.ts') === id);
  const modules = [...byModule.values()].sort(
    (a, b) => rank(a.stage) - rank(b.stage) || order(a.module_id) - order(b.module_id),
  );
  return { plans, modules, macro: macroLine, ...initialInfo };
}

function stageOfDir(file: string): string {
  const dir = file.split('/')[0]!;
  return (
    (
      { context: 'context', filters: 'filter', agents: 'agent', confluence: 'confluence', risk: 'risk' } as Record<
        string,
        string
      >
    )[dir] ?? dir
  );
}
