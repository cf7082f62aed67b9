import type { z } from 'zod';
import { isTraderError } from '../../core/errors.ts';
import type { ExitRequest } from '../../sdk/context-schemas.ts';
import { runSymbolIsolated } from '../../sandbox/isolated-symbol.ts';
import { accountView, type AccountView } from '../../trading/engine/account-view.ts';
import { costRates, paperCosts } from '../../trading/paper/fill-model.ts';
import { tradingTx } from '../../trading/scope.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import type { Queryable } from '../../store/db.ts';
import type { Plan } from '../plan/plan-types.ts';
import type { SignalFilterVerdict } from './profile-filter.ts';
import { usableLeverage } from '../../trading/state-repo.ts';
import { historyFor } from '../plan/plan-warmup.ts';
import type { IntentSource } from '../../trading/engine/act-on-intents.ts';
import { actOnDecision } from './act-on-decision.ts';
import { recordCoreOutcome } from './core-outcome.ts';
import { decide } from './decision.ts';
import { buildInitialContext, type InitialContext } from './initial-context.ts';
import { hasSends, sendDecided } from './live-run.ts';
import { heartbeat } from './run-lock.ts';
import type { RunContext } from './run-context.ts';
import { writeSymbolLogs } from './run-log.ts';
import type { SymbolSettled } from './run-summary.ts';
import { historyLogs, topUpLogs, topUpSymbol } from './top-up.ts';
import { candlePrint, type InputsPrint, planPrint, recordFingerprint, type RunFingerprint } from './run-fingerprint.ts';

/** One symbol's step of a run: its outcome, its module errors, and whether its policy halts the run. */
export type SymbolStep = SymbolSettled;

/**
 * The transaction that records a symbol's decision. A local run beats its heartbeat in it; in
 * a distributed run it claims the symbol first (a second attempt at it writes nothing) and
 * settles it last, so the decision and its record commit together.
 */
function recordSymbol(
  run: RunContext,
  symbol: string,
  strategyId: string | null,
  write: (tx: Queryable) => Promise<SymbolStep>,
): Promise<SymbolStep> {
  const { decisions } = run;
  return run.db.transaction(async (tx) => {
    if (decisions) await decisions.claim(tx, symbol, strategyId);
    else await heartbeat(tx, run.run_id);
    const step = await write(tx);
    await decisions?.settle(tx, symbol, step);
    return step;
  });
}

/**
 * Decides one symbol: tops up its candles (unless offline), builds its initial context
 * (the equity as of now: an earlier symbol may have paid margin and fees), runs its plan
 * in the sandbox, then writes the logs and does what the decision asks in one
 * transaction, all or nothing; a LIVE run then sends what was recorded.
 */
export async function decideSymbol(run: RunContext, symbol: string): Promise<SymbolStep> {
  const { db, scope, o, run_id, prelude } = run;
  const plan = run.prepared.plans.get(symbol)!;
  const runInfo = {
    run_id,
    pipeline_id: o.pipelineId,
    strategy_id: plan.strategy_id,
    system_mode: run.state.system_mode,
    operational_mode: run.state.operational_mode,
    risk_profile: run.state.risk_profile,
    exchange: o.exchange,
    timeframe: o.timeframe,
    as_of: run.asOfIso,
    trigger: o.trigger,
  };
  const history = historyFor(plan, o.historyBars);
  const topUp = o.offline
    ? null
    : await topUpSymbol(
        db,
        {
          exchange: o.exchange,
          symbol,
          timeframe: o.timeframe,
          asOf: o.asOf,
          historyBars: history.bars,
          maxAgeBars: o.maxAgeBars ?? 0,
        },
        run.fetcher,
      );
  const dataLogs = [...historyLogs(symbol, history.raised), ...topUpLogs(symbol, topUp)];
  let built: InitialContext;
  const window = {
    source: topUp?.source ?? o.exchange,
    history_bars: history.bars,
    min_bars: o.minBars,
    max_age_bars: o.maxAgeBars ?? 0,
  };
  const basePrint = { version: 1 as const, plan: planPrint(plan), window };
  let account: AccountView;
  try {
    account = await tradingTx(db, scope, (tx) =>
      accountView(tx, scope, { exchange: o.exchange, symbol, asOf: o.asOf }),
    );
    built = await buildInitialContext(db, {
      run: runInfo,
      symbol,
      candleSource: window.source,
      historyBars: history.bars,
      minBars: o.minBars,
      maxAgeBars: window.max_age_bars,
      account,
      maxRiskPct: prelude.profile.risk_per_trade_pct,
      maxLeverage: usableLeverage(prelude.state, prelude.profile),
      costs: costRates(paperCosts(prelude.state)),
    });
  } catch (e) {
    if (!isTraderError(e)) throw e;
    const print = { ...basePrint, candles: null, inputs: null, data_error: e.message };
    return recordSymbol(run, symbol, plan.strategy_id, async (tx) => {
      await recordFingerprint(tx, run_id, symbol, print);
      const error = { kind: 'error', message: e.message, code: e.code } as const;
      const outcome = await recordCoreOutcome(tx, run_id, symbol, dataLogs, error);
      return { outcome, errors: [{ symbol, module_id: null, message: e.message }], haltRun: false };
    });
  }
  if ('blocked' in built) {
    const verdict = { kind: 'blocked', message: built.blocked, data_health: built.data_health } as const;
    const print = { ...basePrint, candles: candlePrint(built.series), inputs: null, data_error: null };
    return recordSymbol(run, symbol, plan.strategy_id, async (tx) => {
      await recordFingerprint(tx, run_id, symbol, print);
      return { outcome: await recordCoreOutcome(tx, run_id, symbol, dataLogs, verdict), errors: [], haltRun: false };
    });
  }
  const initial = built.context;
  // What parity needs to re-decide this bar later and attribute a difference (run-fingerprint.ts).
  const print: RunFingerprint = {
    ...basePrint,
    candles: candlePrint(built.series),
    inputs: {
      run: runInfo,
      instrument: initial.instrument as InputsPrint['instrument'],
      macro: (initial.macro as InputsPrint['macro'] | undefined) ?? null,
      account,
      max_risk_pct: prelude.profile.risk_per_trade_pct,
      max_leverage: usableLeverage(prelude.state, prelude.profile),
      costs: costRates(paperCosts(prelude.state)),
      data_health: initial.data_health as InputsPrint['data_health'],
    },
    data_error: null,
  };
  const result = await runSymbolIsolated(run.sandbox, plan, symbol, initial, run.budget);
  const outcome = decide(symbol, result);
  const decisionLog = {
    symbol,
    stage: null,
    module_id: null,
    module_version: null,
    level: 'info' as const,
    event: 'decision',
    message: outcome.outcome,
    rationale: outcome.reason,
    outputs: outcome.intents.length ? { intents: outcome.intents } : null,
    context_snapshot: null,
    duration_ms: null,
  };
  const category = (initial.instrument as { category: string }).category;
  const source: IntentSource = {
    exchange: o.exchange,
    timeframe: o.timeframe,
    category,
    run_id,
    strategy_id: plan.strategy_id,
    strategy_version: plan.strategy_version ?? null,
    as_of: o.asOf,
    ...(run.liveBroker ? { live_broker: run.liveBroker } : {}),
  };
  const step = await recordSymbol(run, symbol, plan.strategy_id, async (tx) => {
    await writeSymbolLogs(tx, run_id, [...dataLogs, ...result.logs, decisionLog], result.errors);
    await recordFingerprint(tx, run_id, symbol, print);
    if (result.signalFilter)
      await auditSignalFilter(tx, run, { symbol, plan, verdict: result.signalFilter, context: result.context });
    const exits = (result.context.exit_requests as z.infer<typeof ExitRequest>[] | undefined) ?? [];
    await actOnDecision(tx, scope, { run_id, outcome, exits, source });
    return {
      outcome,
      errors: result.errors.map((err) => ({ symbol, module_id: err.module_id, message: err.error_message })),
      haltRun: result.stoppedBy?.policy === 'halt_run',
    };
  });
  const broker = run.liveBroker;
  if (broker && hasSends(outcome)) {
    const send = () => sendDecided(db, broker, outcome, { run_id, as_of: o.asOf });
    // A distributed run's worker sends under the market's order lease and records what became of it.
    await (run.decisions ? run.decisions.send(symbol, outcome, send) : send());
  }
  return step;
}

/** SIGNAL_GENERATED, then SIGNAL_FILTER_PASS or SIGNAL_FILTER_REJECTED with the reason (seed section 7). */
async function auditSignalFilter(
  tx: Queryable,
  run: RunContext,
  s: { symbol: string; plan: Plan; verdict: SignalFilterVerdict; context: Record<string, unknown> },
): Promise<void> {
  const entity = { entity_type: 'run', entity_id: run.run_id };
  const base = {
    run_id: run.run_id,
    symbol: s.symbol,
    strategy_id: s.plan.strategy_id,
    strategy_version: s.plan.strategy_version ?? null,
  };
  const common = { mode: run.scope.mode, actor: 'SYSTEM' as const, risk_profile: run.state.risk_profile, ...entity };
  const sources = ((s.context.signals as { source?: string; direction: string }[] | undefined) ?? []).map(
    (x) => `${x.source ?? '?'} ${x.direction}`,
  );
  await recordAudit(tx, {
    ...common,
    action_type: 'SIGNAL_GENERATED',
    status: 'INFO',
    details: { ...base, signals: s.verdict.signals, sources },
  });
  await recordAudit(tx, {
    ...common,
    action_type: s.verdict.allow ? 'SIGNAL_FILTER_PASS' : 'SIGNAL_FILTER_REJECTED',
    status: s.verdict.allow ? 'SUCCESS' : 'REJECTED',
    details: { ...base, reason: s.verdict.reason },
  });
}
