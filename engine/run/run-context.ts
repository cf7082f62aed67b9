import type { Db, Queryable } from '../../store/db.ts';
import type { TradingScope } from '../../trading/scope.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import type { prepareTrading } from '../../trading/engine/prepare-trading.ts';
import type { Sandbox, RunBudget } from '../../sandbox/sandbox.ts';
import type { preparePlans } from '../plan/prepare.ts';
import type { CandleFetcher } from './top-up.ts';
import type { RunOptions, SymbolSettled, systemState } from './run-summary.ts';
import type { SymbolOutcome } from './run-types.ts';

/**
 * What a run reads once and every step after shares: the request, the plans, the run's
 * row, the trading state after the prelude, the live broker, the sandbox and its budget.
 * Steps receive it instead of reloading the state or threading a dozen arguments.
 */
export interface RunContext {
  db: Db;
  scope: TradingScope;
  o: RunOptions;
  run_id: string;
  asOfIso: string;
  prepared: Awaited<ReturnType<typeof preparePlans>>;
  prelude: Awaited<ReturnType<typeof prepareTrading>>;
  state: ReturnType<typeof systemState>;
  liveBroker: LiveBroker | undefined;
  sandbox: Sandbox;
  budget: RunBudget;
  fetcher: CandleFetcher;
  /** A distributed run's ledger of its symbols; null when this process decides them all. */
  decisions: SymbolLedger | null;
}

/**
 * A distributed run's record of which symbols are decided (engine/run/distributed/
 * decisions-repo.ts). `claim` is the first statement of the transaction that records a
 * symbol's decision and throws when another attempt already did (that attempt's
 * transaction then writes nothing); `settle` is its last and stores the symbol's outcome,
 * 'sending' while LIVE orders it recorded wait to be sent.
 */
export interface SymbolLedger {
  claim(tx: Queryable, symbol: string, strategyId: string | null): Promise<void>;
  settle(tx: Queryable, symbol: string, step: SymbolSettled): Promise<void>;
  /** After the commit, LIVE: `sendNow` under the market's order lease, then the outcome it left recorded. */
  send(symbol: string, outcome: SymbolOutcome, sendNow: () => Promise<void>): Promise<void>;
}
