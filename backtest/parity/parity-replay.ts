import { checkDataHealth, corruptDataReason } from '../../market/data-health.ts';
import { loadCandleSeries } from '../../market/candles-repo.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import { errorMessage, isTraderError } from '../../core/errors.ts';
import { preparePlans } from '../../engine/plan/prepare.ts';
import type { Plan } from '../../engine/plan/plan-types.ts';
import { candlePrint, planPrint, type RunFingerprint } from '../../engine/run/run-fingerprint.ts';
import { planRef } from '../../sandbox/refs.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import type { Db } from '../../store/db.ts';
import type { BarDecision, BarInputs } from '../decide-bar.ts';
import type { Current } from './parity-compare.ts';
import type { RunLine } from './parity-load.ts';
import type { DecisionShape } from './parity-schema.ts';

/**
 * Re-deciding one recorded bar the way a backtest decides it: the plan built now from the
 * registry and configuration (the module files must still hash as the run pinned them), the
 * candles in the store now, and every other input as the run recorded it (account, profile,
 * costs, macro, instrument), through decideBar in the sandbox's worker.
 */

export interface PlanNow {
  plan: Plan | null;
  /** Why no plan could be built now, in one sentence. */
  problem: string | null;
}

/** Plans built now, one per pipeline, strategy, symbol, profile and mode (the planner loads and probes every module). */
export class PlanCache {
  private plans = new Map<string, Promise<PlanNow>>();
  constructor(
    private db: Db,
    private env: NodeJS.ProcessEnv | undefined,
  ) {}

  get(run: RunLine, symbol: string, print: RunFingerprint): Promise<PlanNow> {
    const { risk_profile, system_mode } = print.inputs!.run;
    const k = [run.pipeline_id, run.strategy_id, symbol, risk_profile, system_mode].join('|');
    let p = this.plans.get(k);
    if (!p) {
      p = this.build(run, symbol, risk_profile, system_mode);
      this.plans.set(k, p);
    }
    return p;
  }

  private async build(run: RunLine, symbol: string, riskProfile: 'low' | 'medium' | 'high', mode: string) {
    const where = `The plan of pipeline ${run.pipeline_id}${run.strategy_id ? ` with strategy ${run.strategy_id}` : ''} cannot be built now`;
    try {
      const prepared = await preparePlans(this.db, {
        pipelineId: run.pipeline_id,
        strategyId: run.strategy_id,
        symbols: [symbol],
        riskProfile,
        // The strategy versions active in the run's own system mode.
        env: { ...(this.env ?? process.env), TRADER_SYSTEM_MODE: mode },
      });
      const first = prepared.problems[0];
      if (first) return { plan: null, problem: `${where}: ${first.where}: ${first.message}.` };
      return { plan: prepared.plans.get(symbol) ?? null, problem: null };
    } catch (e) {
      return { plan: null, problem: `${where}: ${errorMessage(e)}` };
    }
  }
}

const shape = (outcome: string, intents: DecisionShape['intents'] = []): DecisionShape => ({ outcome, intents });

/** The replayed decision for one recorded symbol, and what parity found now to explain a difference. */
export async function replaySymbol(
  db: Db,
  sandbox: () => Sandbox,
  plans: PlanCache,
  run: RunLine,
  symbol: string,
  print: RunFingerprint,
): Promise<{ decision: DecisionShape; current: Current }> {
  const tf = parseTimeframe(run.timeframe);
  const w = print.window;
  const candles = await loadCandleSeries(db, {
    exchange: w.source,
    symbol,
    timeframe: run.timeframe,
    asOf: run.as_of,
    limit: w.history_bars,
  });
  const base: Current = { plan: null, planProblem: null, candles: null, ts: candles.ts, health: null };
  if (candles.ts.length === 0) return { decision: shape('error'), current: base };
  const health = checkDataHealth(candles, {
    timeframeMs: tf,
    asOfMs: run.as_of.getTime(),
    minBars: w.min_bars,
    staleGraceMs: w.max_age_bars * tf,
  });
  const current: Current = { ...base, candles: candlePrint(candles), health };
  if (corruptDataReason(health, symbol)) return { decision: shape('blocked'), current };
  // The run had no inputs to record (its data blocked it or was missing): the modules cannot be replayed, only the data judged.
  if (print.inputs === null) return { decision: shape('unblocked'), current };
  const now = await plans.get(run, symbol, print);
  if (!now.plan) return { decision: shape('not_replayed'), current: { ...current, planProblem: now.problem } };
  const i = print.inputs;
  const inputs: BarInputs = {
    run: i.run,
    instrument: i.instrument,
    macro: i.macro,
    account: i.account,
    maxRiskPct: i.max_risk_pct,
    maxLeverage: i.max_leverage,
    costs: i.costs,
    historyBars: w.history_bars,
    minBars: w.min_bars,
    timeframeMs: tf,
    staleGraceMs: w.max_age_bars * tf,
  };
  const worker = sandbox();
  let d: BarDecision;
  try {
    await worker.request({ op: 'market', index: 0, plan: planRef(now.plan), full: candles, timeframeMs: tf });
    d = await worker.request({ op: 'cut', index: 0, end: candles.ts.length, inputs });
  } catch (e) {
    // A module the sandbox stopped (past its limit, say) is this symbol's error, as in a run; a stop ends parity.
    if (!isTraderError(e) || e.code === 'INTERRUPTED') throw e;
    return { decision: shape('error'), current: { ...current, plan: planPrint(now.plan) } };
  }
  const intents = d.outcome.intents.map((x) => ({ side: x.side, entry: x.entry, stop: x.stop, qty: x.qty }));
  return { decision: shape(d.outcome.outcome, intents), current: { ...current, plan: planPrint(now.plan) } };
}
