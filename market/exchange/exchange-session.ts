import { logger } from '../../core/logger.ts';
import { type CcxtExchange, classifierFor, openExchange } from './ccxt-loader.ts';
import { exchangeBaseUrl, traderEnv } from '../../core/env.ts';
import { type Classified, defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import { currentRateGate, type RateGate } from './rate-gate.ts';

/** `TRADER_FETCH_ATTEMPTS` and `TRADER_FETCH_BUDGET_SECONDS` tune the retry policy (e.g. a scheduler that must finish fast). */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv): RetryPolicy {
  const config = traderEnv(env);
  return {
    ...defaultRetryPolicy,
    maxAttempts: config.TRADER_FETCH_ATTEMPTS,
    totalBudgetMs: config.TRADER_FETCH_BUDGET_SECONDS * 1000,
  };
}

/**
 * An exchange ready for Layer 0 calls: the ccxt instance, its fault classifier, the retry
 * policy with retries logged, and the rate gate of the scope it was opened in (rate-gate.ts).
 */
export interface ExchangeSession {
  ex: CcxtExchange;
  classify: (e: unknown) => Classified;
  policy: RetryPolicy;
  onRetry: (info: { attempt: number; waitMs: number; reason: string }) => void;
  gate: RateGate;
}

/**
 * `TRADER_EXCHANGE_URL_<ID>` (e.g. `TRADER_EXCHANGE_URL_BINANCE`), else `TRADER_EXCHANGE_URL`,
 * points every API host of that exchange at another origin: the tests' stand-in, or a proxy.
 */
export async function openExchangeSession(
  id: string,
  options: { sandbox?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<ExchangeSession> {
  const env = options.env ?? process.env;
  const baseUrl = exchangeBaseUrl(traderEnv(env), id);
  const ex = await openExchange(id, { sandbox: options.sandbox ?? false, ...(baseUrl ? { baseUrl } : {}) });
  return {
    ex,
    classify: await classifierFor(ex),
    policy: retryPolicyFromEnv(env),
    onRetry: ({ attempt, waitMs, reason }) =>
      logger.warn({ exchange: id, attempt, wait_ms: waitMs }, `retrying after: ${reason}`),
    gate: currentRateGate(),
  };
}
