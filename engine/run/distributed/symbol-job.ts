import { isTraderError, TraderError } from '../../../core/errors.ts';
import type { Db } from '../../../store/db.ts';
import type { Sandbox } from '../../../sandbox/sandbox.ts';
import { DEFAULT_RUN_LIMIT_MS } from '../../../sandbox/limits.ts';
import { type SystemMode, tradingScope, tradingTx } from '../../../trading/scope.ts';
import { loadRiskProfile, loadState, type RiskProfileName } from '../../../trading/state-repo.ts';
import { ccxtCandleFetcher } from '../candle-fetcher.ts';
import type { CandleFetcher } from '../top-up.ts';
import { decideSymbol } from '../decide-symbol.ts';
import type { RunContext, SymbolLedger } from '../run-context.ts';
import { sendDecided } from '../live-run.ts';
import type { LiveBroker } from '../../../trading/live/live-broker.ts';
import { planRun } from '../run-pipeline.ts';
import { failedStep, notRunStep, type RunOptions } from '../run-summary.ts';
import { maybeCloseRun } from './close-run.ts';
import {
  AlreadySettled,
  type Attempt,
  finishSending,
  sendingOutcome,
  settleSymbol,
  symbolLedger,
} from './decisions-repo.ts';
import { type DistributedRun, loadDistributedRun } from './distributed-run.ts';

/** What became of one symbol job: decided here, already settled (a retry or a duplicate), or nothing to do. */
export type SymbolJobResult = 'decided' | 'already_decided' | 'run_closed' | 'not_run';

/**
 * A worker's half of a distributed run: decides one symbol exactly as a local run does
 * (decideSymbol: same plan, same context, same transaction), with the run's ledger claiming
 * the symbol first in that transaction, so a retried or duplicate job writes nothing twice.
 * Sizing reads the account as this symbol starts; the risk gate re-checks every intent under
 * the state row's lock. Then closes the run if this was its last symbol.
 */
export interface SymbolJobInput {
  run_id: string;
  symbol: string;
  mode: SystemMode;
  env?: NodeJS.ProcessEnv;
  /** LIVE: the worker's live broker (its keys unlocked with the key file at start), opened on first use. */
  liveBroker?: () => Promise<LiveBroker | undefined>;
}

export async function decideSymbolJob(
  db: Db,
  job: SymbolJobInput,
  sandbox: Sandbox,
  who: Attempt,
): Promise<SymbolJobResult> {
  const run = await loadDistributedRun(db, job.run_id);
  if (!run) throw new TraderError('NOT_FOUND', `No distributed run ${job.run_id}: its job has nothing to decide.`);
  if (run.status !== 'running' || !run.prelude) return 'run_closed';
  if (run.prelude.mode.system_mode !== job.mode)
    throw new TraderError(
      'CONFIG_INVALID',
      `Run ${run.run_id} is ${run.prelude.mode.system_mode} but this worker serves ${job.mode}.`,
    );
  if (!run.symbols.includes(job.symbol))
    throw new TraderError('BAD_INPUT', `Run ${run.run_id} has no symbol ${job.symbol}.`);
  const ledger = symbolLedger(db, run, who, job.env);
  const result = run.halt_requested
    ? await settleOrSkip(settleSymbol(db, ledger, notRunStep(job.symbol, 'run halted earlier by an on_error policy')))
    : await decide(db, run, job, sandbox, ledger);
  await maybeCloseRun(db, run.run_id);
  return result;
}

/**
 * What a worker keeps per run for its next jobs of that run: the plans of the run's symbols
 * (made at once, as the opener did: planning reads the registry and hashes the module files,
 * which cost more than a symbol's decision) and the candle fetcher (its exchange sessions:
 * loading an exchange's markets costs 20 of Binance's request weight, shared by every worker).
 * A few runs are kept; a failed planning is not.
 */
interface RunCache {
  plans: Promise<RunContext['prepared']>;
  fetcher: CandleFetcher;
}
const runCaches = new Map<string, RunCache>();
const keptRuns = 4;

function cacheOf(db: Db, run: DistributedRun, o: RunOptions, riskProfile: RiskProfileName): RunCache {
  let kept = runCaches.get(run.run_id);
  if (!kept) {
    const scope = tradingScope(run.prelude!.mode.system_mode);
    const plans = planRun(db, scope, { ...o, symbols: run.symbols }, riskProfile);
    plans.catch(() => runCaches.delete(run.run_id));
    kept = { plans, fetcher: ccxtCandleFetcher(db, run.timeframe, o.env) };
    runCaches.set(run.run_id, kept);
    if (runCaches.size > keptRuns) runCaches.delete(runCaches.keys().next().value!);
  }
  return kept;
}

async function settleOrSkip(settled: Promise<boolean>): Promise<SymbolJobResult> {
  return (await settled) ? 'not_run' : 'already_decided';
}

async function decide(
  db: Db,
  run: DistributedRun,
  job: SymbolJobInput,
  sandbox: Sandbox,
  ledger: ReturnType<typeof symbolLedger>,
): Promise<SymbolJobResult> {
  const head = run.prelude!;
  const scope = tradingScope(job.mode);
  const o: RunOptions = {
    symbols: [job.symbol],
    pipelineId: run.pipeline_id,
    strategyId: run.strategy_id,
    exchange: run.exchange,
    timeframe: run.timeframe,
    asOf: run.as_of,
    trigger: run.trigger,
    triggerRef: run.trigger_ref,
    historyBars: run.options.history_bars,
    minBars: run.options.min_bars,
    offline: run.options.offline,
    maxAgeBars: run.options.max_age_bars,
    ...(job.env ? { env: job.env } : {}),
  };
  const cache = cacheOf(db, run, o, head.mode.risk_profile);
  let prepared: RunContext['prepared'];
  try {
    prepared = await cache.plans;
  } catch (e) {
    // The module files on this machine do not plan (missing, edited, disabled meanwhile): the symbol fails, with the sentence.
    if (!isTraderError(e)) throw e;
    return (await settleSymbol(db, ledger, failedStep(job.symbol, e.message))) ? 'decided' : 'already_decided';
  }
  const { state, profile } = await tradingTx(db, scope, async (tx) => ({
    state: await loadState(tx, scope),
    profile: await loadRiskProfile(tx, scope, head.mode.risk_profile),
  }));
  const context: RunContext = {
    db,
    scope,
    o,
    run_id: run.run_id,
    asOfIso: head.as_of,
    prepared,
    prelude: { state, profile, fills: 0, expired_proposals: 0, emergency_halt: false },
    state: head.mode,
    liveBroker: job.mode === 'LIVE' ? await job.liveBroker?.() : undefined,
    sandbox,
    budget: { limitMs: DEFAULT_RUN_LIMIT_MS, usedMs: 0 },
    fetcher: cache.fetcher,
    decisions: ledger,
  };
  try {
    const step = await decideSymbol(context, job.symbol);
    if (step.haltRun)
      await db.query("update pipeline_runs set halt_requested = true where run_id = $1 and status = 'running'", [
        run.run_id,
      ]);
    return 'decided';
  } catch (e) {
    if (!(e instanceof AlreadySettled)) throw e;
    if (e.why === 'run_closed') return 'run_closed';
    return (await resumeSending(context, ledger, job.symbol)) ? 'decided' : 'already_decided';
  }
}

/**
 * A retried job of a LIVE symbol whose decision committed but whose orders were not all sent
 * (its worker died in between): only the sending is done again. Each order goes out at most
 * once: an entry never sent is checked and sent, one that may have left is looked up by its
 * client id first (live-broker.ts), an exit's close finds its own earlier order.
 */
async function resumeSending(run: RunContext, ledger: SymbolLedger, symbol: string): Promise<boolean> {
  const outcome = await sendingOutcome(run.db, run.run_id, symbol);
  if (!outcome) return false;
  const broker = run.liveBroker;
  if (!broker)
    throw new TraderError(
      'CONFIG_INVALID',
      `The LIVE orders of ${symbol} in run ${run.run_id} wait to be sent, but this worker has no LIVE keys; start workers with the key file (\`trader live key-file\`).`,
    );
  await ledger.send(symbol, outcome, () =>
    sendDecided(run.db, broker, outcome, { run_id: run.run_id, as_of: run.o.asOf }),
  );
  return true;
}

/**
 * A symbol whose job failed for good (every retry spent: the dead-letter queue's job): settled
 * as an error naming the last failure, so its run closes with it instead of waiting for the deadline.
 */
export async function settleDeadSymbol(
  db: Db,
  job: { run_id: string; symbol: string; lastError: string },
  who: Attempt,
): Promise<SymbolJobResult> {
  const run = await loadDistributedRun(db, job.run_id);
  if (!run || run.status !== 'running') return 'run_closed';
  const message = `no worker could decide it: ${job.lastError}`;
  const settled =
    (await settleSymbol(db, symbolLedger(db, run, who), failedStep(job.symbol, message))) ||
    (await giveUpSending(db, run.run_id, job));
  await maybeCloseRun(db, run.run_id);
  return settled ? 'decided' : 'already_decided';
}

/**
 * A LIVE symbol decided but whose orders no retry could send: settled with its entries still
 * 'sent' and the reason. Its orders stay PENDING_SUBMIT; the next LIVE run's recovery looks
 * each up by its client id and settles it (adopted if the exchange has it, never re-sent blind).
 */
async function giveUpSending(db: Db, runId: string, job: { symbol: string; lastError: string }): Promise<boolean> {
  const outcome = await sendingOutcome(db, runId, job.symbol);
  if (!outcome) return false;
  const reason = `its worker could not finish sending it (${job.lastError}); the next LIVE run's recovery settles the order`;
  for (const a of outcome.actions ?? []) if (a.action === 'sent') a.reasons = [...a.reasons, reason];
  for (const x of outcome.exits ?? []) if (x.action === 'sent') x.problem = reason;
  return finishSending(db, runId, job.symbol, outcome);
}
