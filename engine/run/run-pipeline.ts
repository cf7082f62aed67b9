import { randomUUID } from 'node:crypto';
import { errorMessage, TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import type { Db } from '../../store/db.ts';
import { assertNoProblems, preparePlans } from '../plan/prepare.ts';
import { ccxtCandleFetcher } from './candle-fetcher.ts';
import { closeRun, openRun } from './run-lock.ts';
import { writeSymbolLogs } from './run-log.ts';
import { releaseSandbox, warmSandbox } from '../../sandbox/probe.ts';
import { DEFAULT_RUN_LIMIT_MS } from '../../sandbox/limits.ts';
import { throwIfStopping } from '../../sandbox/stop.ts';
import {
  buildRunSummary,
  notRunStep,
  type RunHead,
  type RunOptions,
  type RunSummary,
  systemState,
} from './run-summary.ts';
import { haltActionAfterPrelude, liveRunBroker } from './live-run.ts';
import { prepareTrading } from '../../trading/engine/prepare-trading.ts';
import { reconcileBeforeRun } from '../../trading/live/reconcile/reconcile-service.ts';
import { recoverAndSupervise } from '../../trading/live/recover-and-supervise.ts';
import { withLiveAccount } from '../../trading/live/exchange-section.ts';
import { type SystemMode, systemModeFromEnv, tradingScope, type TradingScope } from '../../trading/scope.ts';
import { currentState, type RiskProfileName, type TradingState } from '../../trading/state-repo.ts';
import { bounds } from '../../core/bounds.ts';
import { exchangeId } from '../../market/exchange-id.ts';
import { checkSymbols } from './check-symbols.ts';
import { quote } from '../../core/quote.ts';
import { decideSymbol, type SymbolStep } from './decide-symbol.ts';
import { countStrategyFailures, disabledStrategies } from './strategy-failures.ts';
import type { RunContext } from './run-context.ts';

/** Who started a run: a short lowercase word (cli, http, schedule, n8n). */
const triggerName = /^[a-z][a-z0-9_-]{0,31}$/;

/** Validates what the caller asked for before anything touches the database. */
export function checkRequest(o: RunOptions): void {
  if (o.symbols.length === 0) throw new TraderError('BAD_INPUT', 'Give at least one symbol, e.g. --symbols BTC/USDT.');
  checkSymbols(o.symbols);
  parseTimeframe(o.timeframe);
  if (!exchangeId.test(o.exchange))
    throw new TraderError(
      'BAD_INPUT',
      `Exchange ${quote(o.exchange)} is not valid: use a lowercase ccxt id like binance.`,
    );
  if (!triggerName.test(o.trigger))
    throw new TraderError(
      'BAD_INPUT',
      `Trigger ${quote(o.trigger)} is not valid: use a short lowercase name like cli, n8n or schedule.`,
    );
  if (o.triggerRef !== null && (o.triggerRef.length === 0 || o.triggerRef.length > 200))
    throw new TraderError('BAD_INPUT', 'A trigger reference must be 1 to 200 characters long.');
  if (!Number.isSafeInteger(o.historyBars) || o.historyBars < 1 || o.historyBars > bounds.historyBars)
    throw new TraderError('BAD_INPUT', `History must be from 1 to ${bounds.historyBars} bars, not ${o.historyBars}.`);
  if (Number.isNaN(o.asOf.getTime()))
    throw new TraderError('BAD_INPUT', 'The as-of time is not a valid ISO date, e.g. 2024-06-30T12:00:00Z.');
}

/**
 * One pipeline run: plan (every problem reported before anything runs), take the run
 * lock, decide each symbol in turn with its logs written in one transaction, close the run.
 * A LIVE run holds the process's exchange section and the account's order lease
 * (exchange-section.ts) from start to end, so serve's supervision between runs, or a worker
 * sending another run's orders, never talks to the exchange at the same time.
 */
export async function runPipeline(db: Db, o: RunOptions): Promise<RunSummary> {
  const scope = tradingScope(systemModeFromEnv(o.env));
  return scope.mode === 'LIVE'
    ? withLiveAccount(db, { label: `run of ${o.pipelineId}`, env: o.env }, () => runInScope(db, scope, o))
    : runInScope(db, scope, o);
}

async function runInScope(db: Db, scope: TradingScope, o: RunOptions): Promise<RunSummary> {
  const begun = await beginRun(db, scope, o, false);
  // Module code runs in the sandbox's worker, within a call limit and this run's budget.
  const sandbox = warmSandbox();
  const run: RunContext = {
    ...begun.run,
    sandbox,
    budget: { limitMs: DEFAULT_RUN_LIMIT_MS, usedMs: 0 },
    fetcher: ccxtCandleFetcher(db, o.timeframe, o.env),
  };
  const steps = await failingRun(db, { run_id: run.run_id, mode: scope.mode }, () => decideSymbols(run)).finally(() =>
    releaseSandbox(sandbox),
  );
  return finishRun(run, begun.head, steps, begun.started);
}

/** What a run shares before its first symbol; a distributed run's opener stops here and enqueues the symbols. */
export interface BegunRun {
  run: Omit<RunContext, 'sandbox' | 'budget' | 'fetcher'>;
  head: RunHead;
  started: number;
}

/**
 * Everything before the first symbol is decided: the request checked, every symbol planned
 * (every problem reported at once), the run lock taken (its row: for a distributed run with
 * the options its workers need) and the trading prelude done.
 */
export async function beginRun(db: Db, scope: TradingScope, o: RunOptions, distributed: boolean): Promise<BegunRun> {
  checkRequest(o);
  const started = performance.now();
  const state = await currentState(db, scope);
  const prepared = await planRun(db, scope, o, state.risk_profile);
  const run_id = await startRun(db, o, prepared, distributed);
  const trading = await failingRun(db, { run_id, mode: scope.mode }, () =>
    tradeBeforeDeciding(db, scope, o, run_id, state),
  );
  const mode = systemState(scope.mode, trading.prelude.state);
  const { prelude } = trading;
  const head: RunHead = {
    run_id,
    pipeline_id: o.pipelineId,
    strategy_id: o.strategyId,
    exchange: o.exchange,
    timeframe: o.timeframe,
    as_of: o.asOf.toISOString(),
    trigger: o.trigger,
    trigger_ref: o.triggerRef,
    mode,
    trading: {
      fills: prelude.fills,
      expired_proposals: prelude.expired_proposals,
      emergency_halt: prelude.emergency_halt,
      equity: prelude.state.equity,
      drawdown_pct: prelude.state.drawdown_pct,
    },
    pinned_modules: prepared.pinned.map((m) => m.row.module_id),
  };
  return {
    run: { db, scope, o, run_id, asOfIso: head.as_of, prepared, ...trading, state: mode, decisions: null },
    head,
    started,
  };
}

/** The plans for every symbol: every problem is reported before anything runs, a disabled strategy included. */
export async function planRun(db: Db, scope: TradingScope, o: RunOptions, riskProfile: RiskProfileName) {
  const prepared = await preparePlans(db, {
    pipelineId: o.pipelineId,
    strategyId: o.strategyId,
    symbols: o.symbols,
    riskProfile,
    env: o.env,
  });
  assertNoProblems(o.pipelineId, [...prepared.problems, ...(await disabledStrategies(db, scope, prepared.plans))]);
  return prepared;
}

/** Takes the run lock (the run's row) and logs the modules pinned to their files as loaded now. */
async function startRun(
  db: Db,
  o: RunOptions,
  prepared: RunContext['prepared'],
  distributed: boolean,
): Promise<string> {
  const run_id = randomUUID();
  await openRun(db, {
    run_id,
    pipeline_id: o.pipelineId,
    strategy_id: o.strategyId,
    trigger: o.trigger,
    trigger_ref: o.triggerRef,
    exchange: o.exchange,
    timeframe: o.timeframe,
    symbols: o.symbols,
    as_of: o.asOf,
    // A distributed run's workers read the rest of the request from its row.
    request: distributed
      ? { history_bars: o.historyBars, min_bars: o.minBars, offline: o.offline, max_age_bars: o.maxAgeBars ?? 0 }
      : null,
  });
  o.onOpened?.(run_id);
  logger.info({ run_id, symbols: o.symbols.length }, 'run started');
  const pinnedLogs = prepared.pinned.map((m) => ({
    symbol: null,
    stage: m.row.logic_type,
    module_id: m.row.module_id,
    module_version: m.manifest.version,
    level: 'warn' as const,
    event: 'hash_pinned',
    message:
      m.row.sha256 === null
        ? `registry row had no sha256; pinned to the file as loaded now (${m.sha256})`
        : `registry row had no import graph; pinned its ${m.graph.files.length} file(s) as loaded now`,
    rationale: null,
    outputs: null,
    context_snapshot: null,
    duration_ms: null,
  }));
  await writeSymbolLogs(db, run_id, pinnedLogs, []);
  return run_id;
}

/** `step`, closing the run as failed (with the error's sentence) when it throws. */
export async function failingRun<T>(
  db: Db,
  run: { run_id: string; mode: SystemMode },
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (e) {
    await closeRun(db, run, 'failed', null, errorMessage(e)).catch(() => {});
    throw e;
  }
}

/**
 * What happens before any symbol is decided: in LIVE, the exchange is looked at first
 * (unsettled orders, stops hit, protection, trades made by hand); then the paper or live
 * prelude (fills, expired proposals, the drawdown halt) and, in LIVE, the halt's action
 * on the exchange.
 */
async function tradeBeforeDeciding(
  db: Db,
  scope: TradingScope,
  o: RunOptions,
  run_id: string,
  state: TradingState,
): Promise<Pick<RunContext, 'prelude' | 'liveBroker'>> {
  const liveBroker = await liveRunBroker(db, scope, state, o.liveBroker);
  if (liveBroker) await recoverAndSupervise(db, liveBroker, { now: o.asOf, run_id });
  if (scope.mode === 'LIVE') await reconcileBeforeRun(db, o.env);
  const prelude = await prepareTrading(db, scope, o.asOf, run_id);
  if (scope.mode === 'LIVE') await haltActionAfterPrelude(db, scope, liveBroker, { now: new Date(), run_id });
  return { prelude, liveBroker };
}

/** Each symbol in turn; after a module's `halt_run` policy the rest are not run. */
async function decideSymbols(run: RunContext): Promise<SymbolStep[]> {
  const steps: SymbolStep[] = [];
  let halted = false;
  for (const symbol of run.o.symbols) {
    throwIfStopping();
    const step: SymbolStep = halted
      ? notRunStep(symbol, 'run halted earlier by an on_error policy')
      : await decideSymbol(run, symbol);
    steps.push(step);
    halted ||= step.haltRun;
  }
  return steps;
}

/** The run's summary, recorded with its status when the run's row is closed. */
async function finishRun(run: RunContext, head: RunHead, steps: SymbolStep[], started: number): Promise<RunSummary> {
  const summary = buildRunSummary(head, steps, Math.round(performance.now() - started));
  const strategies = run.o.symbols.map((symbol) => run.prepared.plans.get(symbol)?.strategy_id ?? null);
  await countStrategyFailures(run.db, run.scope, head, steps, strategies);
  await closeRun(run.db, { run_id: run.run_id, mode: run.scope.mode }, summary.status, summary, null);
  logger.info({ run_id: run.run_id, status: summary.status }, 'run finished');
  return summary;
}
