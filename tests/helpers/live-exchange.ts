import { type BinanceSimulator, startBinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { Db } from '../../store/db.ts';
import { initLiveAccount, liveRiskPhrase, type LiveInitInput } from '../../trading/live-account/live-init.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { sampleMarkets } from '../simulator/fixtures.ts';

/**
 * The Binance simulator for `trader live init`'s read-only key check (ccxt's fetchBalance
 * is its signed GET /api/v3/account: an unknown key is -2015, a bad signature -1022).
 * Test keys only; the balances are what a new LIVE account records.
 */

export interface TestKeys {
  apiKey: string;
  secret: string;
}

export const liveTestKeys: TestKeys = {
  apiKey: 'stand-in-api-key-7f3a9c41d2e84b06a5c1',
  secret: 'stand-in-secret-0b9e6d2c8a4f17e35d90c6ab',
};

export interface LiveExchange extends BinanceSimulator {
  /** What ccxt reads: TRADER_EXCHANGE_URL_BINANCE pointed at the simulator. */
  env: NodeJS.ProcessEnv;
}

/** Accepts only `keys` (the test's own, default liveTestKeys); holds 2500 USDT and 0.01 BTC. */
export async function startLiveExchange(keys: TestKeys = liveTestKeys): Promise<LiveExchange> {
  const s = await startBinanceSimulator({ markets: sampleMarkets(), balances: { USDT: 2500, BTC: 0.01 }, ...keys });
  return Object.assign(s, { env: { ...process.env, TRADER_EXCHANGE_URL_BINANCE: s.url } });
}

/** `live init`'s input against `exchange`: binance, caps 100 per order and 500 per day, unless overridden. */
export function liveInitInput(exchange: LiveExchange, o: Partial<LiveInitInput> = {}): LiveInitInput {
  return {
    exchange: 'binance',
    sandbox: false,
    max_order_notional: 100,
    max_daily_notional: 500,
    replace: false,
    env: exchange.env,
    ...o,
  };
}

/** What `trader secrets init` and `trader live init` leave: the master PIN, and the LIVE account with the test keys under it. */
export async function initLiveWithPin(db: Db, input: LiveInitInput, pin: string): Promise<void> {
  await initPin(db, pin);
  await initLiveAccount(db, input, {
    phrase: async () => liveRiskPhrase,
    pin: async () => pin,
    secret: async (label) => (label === 'API key' ? liveTestKeys.apiKey : liveTestKeys.secret),
  });
}
