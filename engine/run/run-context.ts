import type { Db } from '../../store/db.ts';
import type { TradingScope } from '../../trading/scope.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import type { prepareTrading } from '../../trading/engine/prepare-trading.ts';
import type { Sandbox, RunBudget } from '../../sandbox/sandbox.ts';
import type { preparePlans } from '../plan/prepare.ts';
import type { CandleFetcher } from './top-up.ts';
import type { RunOptions, systemState } from './run-summary.ts';

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
}
