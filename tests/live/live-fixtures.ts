import type { RetryPolicy } from '../../market/exchange/retry.ts';
import type { BackendKind } from '../../store/db.ts';
import type { OpenOrder } from '../../trading/broker.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { openCcxtSpotPort } from '../../trading/live/ccxt-spot-port.ts';
import type { ExchangePort } from '../../trading/live/exchange-port.ts';
import type { MarketFilters } from '../../trading/live/market-filters.ts';
import {
  type BinanceSimulator,
  type SimMarketConfig,
  startBinanceSimulator,
} from '../../simulator/binance-simulator.ts';

/** Reads retried at once, a few times: tests wait on faults, never on backoff. */
export const fastPolicy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0, totalBudgetMs: 60_000 };

/** BTC/USDT's filters as the port reads them, and the simulator's market with the same. */
export const btcFilters: MarketFilters = {
  symbol: 'BTC/USDT',
  step_size: 0.00001,
  tick_size: 0.01,
  min_qty: 0.00001,
  max_qty: 9000,
  min_notional: 5,
};
export const btcMarket = {
  symbol: btcFilters.symbol,
  candles: new Map(),
  tickSize: btcFilters.tick_size,
  stepSize: btcFilters.step_size,
  minQty: btcFilters.min_qty,
  maxQty: btcFilters.max_qty!,
  minNotional: btcFilters.min_notional,
  price: 60_000,
};

/** A BTC long of 0.01 at 60 000, stop 59 000, one target at 62 000: 0.1% of 10 000 at risk. */
export const btcIntent = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  category: 'major',
  side: 'buy' as const,
  qty: 0.01,
  entry: 60_000,
  stop: 59_000,
  take_profits: [{ price: 62_000, fraction: 1 }],
  leverage: 1,
  risk_amount: 10,
  risk_pct: 0.1,
  notional: 600,
};

/** The LIVE account as `trader live init` and reconciliation leave it: caps, 10 000 USDT, Full-Auto. */
export const liveStateSql = `insert into trading_live.account (exchange, api_key_name, sandbox, max_order_notional,
    max_daily_notional, acknowledged_phrase) values ('binance', 'exchange.binance.live', false, 5000, 20000, 'test');
  insert into trading_live.wallets (asset, balance) values ('USDT', 10000);
  update trading_live.state set operational_mode = 'full_auto', initial_balance = 10000, equity = 10000, peak_equity = 10000`;

/** A simulator with one BTC/USDT market at 60 000 (or `markets`) and 10 000 USDT; `skewMs` moves its clock. */
export async function startSim(options: { balances?: Record<string, number>; markets?: SimMarketConfig[] } = {}) {
  const clock = { skewMs: 0 };
  const sim = await startBinanceSimulator({
    markets: options.markets ?? [btcMarket],
    balances: options.balances ?? { USDT: 10_000 },
    now: () => Date.now() + clock.skewMs,
  });
  return { sim, clock };
}

/** The live broker's port on the simulator, through the real ccxt (timeouts short: faults drop answers). */
export function simPort(sim: BinanceSimulator, timeoutMs = 1500): Promise<ExchangePort> {
  return openCcxtSpotPort('binance', {
    credentials: { apiKey: sim.apiKey, secret: sim.secret },
    env: { TRADER_EXCHANGE_URL_BINANCE: sim.url },
    policy: fastPolicy,
    timeoutMs,
  });
}

/** The BTC entry of btcIntent as a run of `run_id` hands it to the broker, decided at `as_of` (15:00 UTC, 3 Dec 2026). */
export function liveOrder(run_id: string, over: Partial<OpenOrder> = {}): OpenOrder {
  const { notional: _notional, ...intent } = btcIntent;
  return {
    ...intent,
    strategy_id: 'trend',
    strategy_version: null,
    source_module: 'test_v1',
    run_id,
    proposal_id: null,
    as_of: new Date(Date.UTC(2026, 11, 3, 15)),
    ...over,
  };
}

/** The LIVE account as `trader live init` leaves it (liveStateSql) and a running run of pipeline 'trend'. */
export const liveSetupSql = (run_id: string, symbols = ['BTC/USDT']) => `${liveStateSql};
    insert into pipeline_runs (run_id, pipeline_id, status, exchange, timeframe, symbols, as_of)
      values ('${run_id}', 'trend', 'running', 'binance', '1h', '{${symbols.join(',')}}', now())`;

/** A database of its own set up by liveSetupSql. */
export async function liveDb(kind: BackendKind, run_id: string, symbols = ['BTC/USDT']): Promise<TestDb> {
  const db = await freshDb(kind);
  await db.exec(liveSetupSql(run_id, symbols));
  return db;
}

/** What each test of a live-broker suite gets: its own database (liveDb), simulator (startSim) and broker on them. */
export async function liveBrokerOnSim(kind: BackendKind, run_id: string) {
  const db = await liveDb(kind, run_id);
  const { sim } = await startSim();
  const broker = await liveBrokerFor(db, { port: await simPort(sim) });
  return { db, sim, broker, close: async () => (await sim.close(), await db.dispose()) };
}
