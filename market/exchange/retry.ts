import { TraderError, errorMessage } from '../../core/errors.ts';

/**
 * Retries an exchange call on transient faults: exponential backoff with full jitter,
 * a server's Retry-After honoured on rate limits, and a bounded total time so one
 * request can never stall a run. Everything the caller can vary is injected (sleep,
 * random, clock) so the policy is tested without real waiting.
 */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The whole call, all attempts and waits included, must end within this. */
  totalBudgetMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  totalBudgetMs: 60_000,
};

export type FaultKind = 'rate_limited' | 'transient' | 'permanent';

export interface Classified {
  kind: FaultKind;
  /** Wait the server asked for (Retry-After), ms. */
  retryAfterMs?: number;
}

/** A request's share of a shared rate limit (rate-gate.ts limitFor). */
export interface AttemptLimit {
  /** Waits for the request's tokens; called before each attempt. */
  before(): Promise<void>;
  /** The exchange asked for a pause (Retry-After on a rate limit): every process sharing the limit waits it out. */
  blockedFor(ms: number): Promise<void>;
}

export interface RetryDeps {
  classify: (e: unknown) => Classified;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Called before each wait, for logs and tests. */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
  limit?: AttemptLimit;
}

/** Signed requests carry their signature in the query string, so no message keeps one. */
export const withoutQueryStrings = (text: string) => text.replace(/\?\S*/g, '?…');

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full-jitter backoff: a random wait up to base × 2^(attempt-1), capped. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<T> {
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const deadline = now() + policy.totalBudgetMs;
  for (let attempt = 1; ; attempt++) {
    // Outside the try: a gate that gives up ends the call with its own sentence, it is not retried.
    await deps.limit?.before();
    try {
      return await fn();
    } catch (e) {
      const fault = deps.classify(e);
      if (fault.kind === 'rate_limited' && fault.retryAfterMs !== undefined)
        await deps.limit?.blockedFor(fault.retryAfterMs);
      // Query strings are cut, also from errors passed on as they are: signed requests carry signatures there.
      if (e instanceof Error) e.message = withoutQueryStrings(e.message);
      const reason = errorMessage(e).split('\n')[0]!.slice(0, 300);
      if (fault.kind === 'permanent') throw e;
      const waitMs = fault.retryAfterMs ?? backoffMs(policy, attempt, random);
      if (attempt >= policy.maxAttempts) {
        throw new TraderError(
          'TRANSIENT',
          `${what} still failing after ${attempt} attempts (${reason}); try again later.`,
        );
      }
      if (now() + waitMs > deadline) {
        throw new TraderError(
          'TIMEOUT',
          `${what} did not succeed within ${Math.round(policy.totalBudgetMs / 1000)} s (${attempt} attempts, last: ${reason}).`,
        );
      }
      deps.onRetry?.({ attempt, waitMs, reason });
      await sleep(waitMs);
    }
  }
}
