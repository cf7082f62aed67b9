import { randomUUID } from 'node:crypto';
import { assertNoProblems, preparePlans } from '../engine/plan/prepare.ts';
import { buildInitialContext } from '../engine/run/initial-context.ts';
import { runSymbol } from '../engine/run/symbol-runner.ts';
import { indicators } from '../sdk/indicators.ts';
import type { Db } from '../store/db.ts';
import {
  asOf,
  benchEnv,
  benchAccount,
  benchCosts,
  benchRunState,
  exchange,
  sixPipelineId,
  timeframe,
} from './fixtures.ts';
import { median } from './stats.ts';

export interface OverheadResult {
  /** Per runSymbol call: (wall time - sum of the modules' own duration_ms) / module calls, µs. */
  overheadUs: number[];
  /** Per runSymbol call: the modules' own time per module call, µs. */
  moduleUs: number[];
  modulesPerCall: number;
  slots: string[];
}

/**
 * Times runSymbol with the real plan of pipeline bench6 for one symbol (B01/USDT = BTC
 * 2024) over the same initial context runPipeline would build. What the modules spend in
 * their own run function is in each log entry's duration_ms; the rest is orchestration
 * (run_when, view, contract check with zod, merge, freeze, log snapshots, rationales).
 */
export async function measureOverhead(db: Db, iterations: number, warmup: number): Promise<OverheadResult> {
  const { plan, symbol, initial } = await benchPass(db);
  const sdk = { indicators };

  const probe = runSymbol(plan, symbol, initial, sdk);
  const slots = plan.slots.map((s) => `${s.stage}/${s.module_id}${s.shadow ? ' (shadow)' : ''}`);
  if (probe.modulesRun !== plan.slots.length || probe.blockedBy || probe.errors.length > 0) {
    throw new Error(
      `bench plan did not run all ${plan.slots.length} modules (ran ${probe.modulesRun}, blocked ${probe.blockedBy?.reason ?? 'no'}, errors ${probe.errors.length})`,
    );
  }
  for (let i = 0; i < warmup; i++) runSymbol(plan, symbol, initial, sdk);

  const overheadUs: number[] = [];
  const moduleUs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const r = runSymbol(plan, symbol, initial, sdk);
    const wall = performance.now() - t0;
    let own = 0;
    for (const log of r.logs) own += log.duration_ms ?? 0;
    overheadUs.push(((wall - own) * 1000) / r.modulesRun);
    moduleUs.push((own * 1000) / r.modulesRun);
  }
  return { overheadUs, moduleUs, modulesPerCall: plan.slots.length, slots };
}

export const overheadSummary = (r: OverheadResult) => ({ overhead: median(r.overheadUs), own: median(r.moduleUs) });

/** The figure-1 pass: pipeline bench6's plan for B01/USDT and the initial context runPipeline would build (also the sandbox figure's). */
export async function benchPass(db: Db, pipelineId = sixPipelineId, env = benchEnv) {
  const symbol = 'B01/USDT';
  const state = benchRunState;
  const prepared = await preparePlans(db, {
    pipelineId,
    strategyId: null,
    symbols: [symbol],
    riskProfile: state.risk_profile,
    env,
  });
  assertNoProblems(pipelineId, prepared.problems);
  const plan = prepared.plans.get(symbol)!;
  const run = {
    run_id: randomUUID(),
    pipeline_id: pipelineId,
    strategy_id: null,
    ...state,
    exchange,
    timeframe,
    as_of: asOf.toISOString(),
    trigger: 'bench',
  };
  const built = await buildInitialContext(db, {
    run,
    symbol,
    candleSource: run.exchange,
    historyBars: 500,
    minBars: 100,
    maxAgeBars: 0,
    account: benchAccount,
    maxRiskPct: 1,
    maxLeverage: 1,
    costs: benchCosts,
  });
  if ('blocked' in built) throw new Error(built.blocked);
  return { plan, symbol, initial: built.context };
}
