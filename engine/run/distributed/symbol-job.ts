import { isTraderError, TraderError } from '../../../core/errors.ts';
import type { Db } from '../../../store/db.ts';
import type { Sandbox } from '../../../sandbox/sandbox.ts';
import { DEFAULT_RUN_LIMIT_MS } from '../../../sandbox/limits.ts';
import { type SystemMode, tradingScope, tradingTx } from '../../../trading/scope.ts';
import { loadRiskProfile, loadState } from '../../../trading/state-repo.ts';
import { ccxtCandleFetcher } from '../candle-fetcher.ts';
import { decideSymbol } from '../decide-symbol.ts';
import type { RunContext } from '../run-context.ts';
import { planRun } from '../run-pipeline.ts';
import { failedStep, notRunStep, type RunOptions } from '../run-summary.ts';
import { maybeCloseRun } from './close-run.ts';
import { AlreadySettled, type Attempt, settleSymbol, symbolLedger } from './decisions-repo.ts';
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
export async function decideSymbolJob(
  db: Db,
  job: { run_id: string; symbol: string; mode: SystemMode; env?: NodeJS.ProcessEnv },
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
  const ledger = symbolLedger(run, who);
  const result = run.halt_requested
    ? await settleOrSkip(settleSymbol(db, ledger, notRunStep(job.symbol, 'run halted earlier by an on_error policy')))
    : await decide(db, run, job, sandbox, ledger);
  await maybeCloseRun(db, run.run_id);
  return result;
}

/**
 * The plans of a run's symbols, made once per run in this worker (every symbol at once, as the
 * opener did) and kept for its next jobs: planning reads the registry and hashes the module
 * files, which cost more than a symbol's decision. A few runs are kept; a failed planning is not.
 */
const plans = new Map<string, Promise<RunContext['prepared']>>();
const keptRuns = 4;

function plansOf(
  db: Db,
  run: DistributedRun,
  o: RunOptions,
  riskProfile: RunContext['state']['risk_profile'],
): Promise<RunContext['prepared']> {
  let kept = plans.get(run.run_id);
  if (!kept) {
    const scope = tradingScope(run.prelude!.mode.system_mode);
    kept = planRun(db, scope, { ...o, symbols: run.symbols }, riskProfile);
    kept.catch(() => plans.delete(run.run_id));
    plans.set(run.run_id, kept);
    if (plans.size > keptRuns) plans.delete(plans.keys().next().value!);
  }
  return kept;
}

async function settleOrSkip(settled: Promise<boolean>): Promise<SymbolJobResult> {
  return (await settled) ? 'not_run' : 'already_decided';
}

async function decide(
  db: Db,
  run: DistributedRun,
  job: { symbol: string; mode: SystemMode; env?: NodeJS.ProcessEnv },
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
  let prepared: RunContext['prepared'];
  try {
    prepared = await plansOf(db, run, o, head.mode.risk_profile);
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
    liveBroker: undefined,
    sandbox,
    budget: { limitMs: DEFAULT_RUN_LIMIT_MS, usedMs: 0 },
    fetcher: ccxtCandleFetcher(db, run.timeframe, job.env),
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
    if (e instanceof AlreadySettled) return e.why === 'decided' ? 'already_decided' : 'run_closed';
    throw e;
  }
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
  const settled = await settleSymbol(db, symbolLedger(run, who), failedStep(job.symbol, message));
  await maybeCloseRun(db, run.run_id);
  return settled ? 'decided' : 'already_decided';
}
