import { logger } from '../../core/logger.ts';
import { type CcxtExchange, classifierFor, openExchange } from './ccxt-loader.ts';
import { TraderError } from '../../core/errors.ts';
import { type Classified, defaultRetryPolicy, type RetryPolicy } from './retry.ts';

/** `TRADER_FETCH_ATTEMPTS` and `TRADER_FETCH_BUDGET_SECONDS` tune the retry policy (e.g. a scheduler that must finish fast). */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv): RetryPolicy {
  const read = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new TraderError('CONFIG_INVALID', `${name} must be a whole number from ${min} to ${max}, not '${raw}'.`);
    return n;
  };
  return {
    ...defaultRetryPolicy,
    maxAttempts: read('TRADER_FETCH_ATTEMPTS', defaultRetryPolicy.maxAttempts, 1, 20),
    totalBudgetMs: read('TRADER_FETCH_BUDGET_SECONDS', defaultRetryPolicy.totalBudgetMs / 1000, 1, 3600) * 1000,
  };
}

/** An exchange ready for Layer 0 calls: the ccxt instance, its fault classifier and the retry policy, with retries logged. */
export interface ExchangeSession {
  ex: CcxtExchange;
  classify: (e: unknown) => Classified;
  policy: RetryPolicy;
  onRetry: (info: { attempt: number; waitMs: number; reason: string }) => void;
}

/**
 * `TRADER_EXCHANGE_URL_<ID>` (e.g. `TRADER_EXCHANGE_URL_BINANCE`), else `TRADER_EXCHANGE_URL`,
 * points every API host of that exchange at another origin: the tests' stand-in, or a proxy.
 */
export async function openExchangeSession(id: string, options: { sandbox?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ExchangeSession> {
  const env = options.env ?? process.env;
  const baseUrl = env[`TRADER_EXCHANGE_URL_${id.toUpperCase()}`] || env.TRADER_EXCHANGE_URL;
  const ex = await openExchange(id, { sandbox: options.sandbox ?? false, ...(baseUrl ? { baseUrl } : {}) });
  return {
    ex,
    classify: await classifierFor(ex),
    policy: retryPolicyFromEnv(env),
    onRetry: ({ attempt, waitMs, reason }) => logger.warn({ exchange: id, attempt, wait_ms: waitMs }, `retrying after: ${reason}`),
  };
}
