import { randomUUID } from 'node:crypto';
import { errorMessage, isTraderError, TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import type { Db } from '../../store/db.ts';
import { assertNoProblems, preparePlans } from '../plan/prepare.ts';
import { decide } from './decision.ts';
import { buildInitialContext, type InitialContext } from './initial-context.ts';
import { recordCoreOutcome } from './core-outcome.ts';
import { ccxtCandleFetcher } from './candle-fetcher.ts';
import { closeRun, heartbeat, openRun } from './run-lock.ts';
import { historyLogs, topUpLogs, topUpSymbol } from './top-up.ts';
import { historyFor } from '../plan/plan-warmup.ts';
import { writeSymbolLogs } from './run-log.ts';
import type { SymbolOutcome } from './run-types.ts';
import { runSymbolIsolated } from '../../sandbox/isolated-symbol.ts';
import { warmSandbox } from '../../sandbox/probe.ts';
import { DEFAULT_RUN_LIMIT_MS } from '../../sandbox/limits.ts';
import { throwIfStopping } from '../../sandbox/stop.ts';
import { proposalsCreated, type RunOptions, type RunSummary, runStatus, systemState } from './run-summary.ts';
import { actOnDecision } from './act-on-decision.ts';
import { haltActionAfterPrelude, liveRunBroker, sendExitCloses, sendRecordedEntries } from './live-run.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import type { ExitRequest } from '../../sdk/context-schemas.ts';
import type { z } from 'zod';
import { prepareTrading } from '../../trading/engine/prepare-trading.ts';
import { reconcileBeforeRun } from '../../trading/live/reconcile/reconcile-service.ts';
import { recoverAndSupervise } from '../../trading/live/recover-and-supervise.ts';
import { withLiveExchange } from '../../trading/live/exchange-section.ts';
import { accountView } from '../../trading/engine/account-view.ts';
import { systemModeFromEnv, tradingScope, tradingTx, type TradingScope } from '../../trading/scope.ts';
import { currentState, usableLeverage } from '../../trading/state-repo.ts';
import { costRates, paperCosts } from '../../trading/paper/fill-model.ts';
import { bounds } from '../../core/bounds.ts';
import { exchangeId } from '../../market/exchange-id.ts';
import { checkSymbols } from './check-symbols.ts';
import { quote } from '../../core/quote.ts';

/** Who started a run: a short lowercase word (cli, http, schedule, n8n). */
const triggerName = /^[a-z][a-z0-9_-]{0,31}$/;

/** Validates what the caller asked for before anything touches the database. */
function checkRequest(o: RunOptions): void {
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
 * A LIVE run holds the process's exchange section (exchange-section.ts) from start to end,
 * so serve's supervision between runs never talks to the exchange at the same time.
 */
export async function runPipeline(db: Db, o: RunOptions): Promise<RunSummary> {
  const scope = tradingScope(systemModeFromEnv(o.env));
  return scope.mode === 'LIVE' ? withLiveExchange(() => runInScope(db, scope, o)) : runInScope(db, scope, o);
}

async function runInScope(db: Db, scope: TradingScope, o: RunOptions): Promise<RunSummary> {
  checkRequest(o);
  const started = performance.now();
  const { risk_profile } = await currentState(db, scope);
  const prepared = await preparePlans(db, {
    pipelineId: o.pipelineId,
    strategyId: o.strategyId,
    symbols: o.symbols,
    riskProfile: risk_profile,
    env: o.env,
  });
  assertNoProblems(o.pipelineId, prepared.problems);

  const run_id = randomUUID();
  const asOfIso = o.asOf.toISOString();
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
  let prelude: Awaited<ReturnType<typeof prepareTrading>>;
  let liveBroker: LiveBroker | undefined;
  try {
    liveBroker = await liveRunBroker(db, scope, await currentState(db, scope), o.liveBroker);
    if (liveBroker) await recoverAndSupervise(db, liveBroker, { now: o.asOf, run_id });
    // LIVE: what else the exchange did since the last look (trades by hand, balances) is adopted before deciding.
    if (scope.mode === 'LIVE') await reconcileBeforeRun(db, o.env);
    prelude = await prepareTrading(db, scope, o.asOf, run_id);
    if (scope.mode === 'LIVE') await haltActionAfterPrelude(db, scope, liveBroker, { now: new Date(), run_id });
  } catch (e) {
    await closeRun(db, run_id, 'failed', null, errorMessage(e)).catch(() => {});
    throw e;
  }
  const state = systemState(scope.mode, prelude.state);
  const outcomes: SymbolOutcome[] = [];
  const errors: RunSummary['errors'] = [];
  let halted = false;
  const fetcher = ccxtCandleFetcher(db, o.timeframe, o.env);
  // Module code runs in the sandbox's worker, within a call limit and this run's budget.
  const sandbox = warmSandbox();
  const budget = { limitMs: DEFAULT_RUN_LIMIT_MS, usedMs: 0 };
  try {
    for (const symbol of o.symbols) {
      throwIfStopping();
      if (halted) {
        outcomes.push({
          symbol,
          outcome: 'not_run',
          reason: 'run halted earlier by an on_error policy',
          intents: [],
          signals: 0,
          ideas: 0,
          modules_run: 0,
        });
        continue;
      }
      const plan = prepared.plans.get(symbol)!;
      const runInfo = {
        run_id,
        pipeline_id: o.pipelineId,
        strategy_id: plan.strategy_id,
        system_mode: state.system_mode,
        operational_mode: state.operational_mode,
        risk_profile: state.risk_profile,
        exchange: o.exchange,
        timeframe: o.timeframe,
        as_of: asOfIso,
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
            fetcher,
          );
      const dataLogs = [...historyLogs(symbol, history.raised), ...topUpLogs(symbol, topUp)];
      let built: InitialContext;
      try {
        // Equity now, not at the run's start: a position opened for an earlier symbol paid margin and fees.
        const account = await tradingTx(db, scope, (tx) =>
          accountView(tx, scope, { exchange: o.exchange, symbol, asOf: o.asOf }),
        );
        built = await buildInitialContext(db, {
          run: runInfo,
          symbol,
          candleSource: topUp?.source ?? o.exchange,
          historyBars: history.bars,
          minBars: o.minBars,
          maxAgeBars: o.maxAgeBars ?? 0,
          account,
          maxRiskPct: prelude.profile.risk_per_trade_pct,
          maxLeverage: usableLeverage(prelude.state, prelude.profile),
          costs: costRates(paperCosts(prelude.state)),
        });
      } catch (e) {
        if (!isTraderError(e)) throw e;
        outcomes.push(
          await recordCoreOutcome(db, run_id, symbol, dataLogs, { kind: 'error', message: e.message, code: e.code }),
        );
        errors.push({ symbol, module_id: null, message: e.message });
        continue;
      }
      if ('blocked' in built) {
        const verdict = { kind: 'blocked', message: built.blocked, data_health: built.data_health } as const;
        outcomes.push(await recordCoreOutcome(db, run_id, symbol, dataLogs, verdict));
        continue;
      }
      const initial = built.context;
      const result = await runSymbolIsolated(sandbox, plan, symbol, initial, budget);
      const outcome = decide(symbol, result);
      outcomes.push(outcome);
      for (const err of result.errors) errors.push({ symbol, module_id: err.module_id, message: err.error_message });
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
      // Logs, then (as the mode's role) the trading actions: one transaction, all or nothing.
      await db.transaction(async (tx) => {
        await writeSymbolLogs(tx, run_id, [...dataLogs, ...result.logs, decisionLog], result.errors);
        await heartbeat(tx, run_id);
        const exits = (result.context.exit_requests as z.infer<typeof ExitRequest>[] | undefined) ?? [];
        await actOnDecision(tx, scope, {
          run_id,
          outcome,
          exits,
          source: {
            exchange: o.exchange,
            timeframe: o.timeframe,
            category,
            run_id,
            strategy_id: plan.strategy_id,
            as_of: o.asOf,
            ...(liveBroker ? { live_broker: liveBroker } : {}),
          },
        });
      });
      if (liveBroker) {
        await sendExitCloses(db, liveBroker, outcome, { run_id, as_of: o.asOf });
        await sendRecordedEntries(db, liveBroker, outcome, run_id);
      }
      if (result.stoppedBy?.policy === 'halt_run') halted = true;
    }
  } catch (e) {
    await closeRun(db, run_id, 'failed', null, errorMessage(e)).catch(() => {});
    throw e;
  } finally {
    await sandbox.close();
  }
  const status = runStatus(outcomes, halted);
  const summary: RunSummary = {
    schema_version: 1,
    ok: status === 'succeeded',
    run_id,
    status,
    pipeline_id: o.pipelineId,
    strategy_id: o.strategyId,
    exchange: o.exchange,
    timeframe: o.timeframe,
    as_of: asOfIso,
    trigger: o.trigger,
    trigger_ref: o.triggerRef,
    mode: state,
    trading: {
      fills: prelude.fills,
      expired_proposals: prelude.expired_proposals,
      emergency_halt: prelude.emergency_halt,
      equity: prelude.state.equity,
      drawdown_pct: prelude.state.drawdown_pct,
    },
    symbols: outcomes,
    proposals: proposalsCreated(outcomes),
    errors,
    pinned_modules: prepared.pinned.map((m) => m.row.module_id),
    duration_ms: Math.round(performance.now() - started),
  };
  await closeRun(db, run_id, status, summary, null);
  logger.info({ run_id, status }, 'run finished');
  return summary;
}
