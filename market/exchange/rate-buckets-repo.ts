import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { type Queryable, queryRows } from '../../store/db.ts';
import { RateLimitWait, type RateGate } from './rate-gate.ts';
import { realSleep } from './retry.ts';

export interface SharedGateOptions {
  /**
   * Tokens taken per database round trip, by bucket, and spent locally. Request weight comes
   * in tens (a worker then makes one round trip per several requests); orders one at a time,
   * since an order token held by one worker is a large share of a 10-order bucket. A batch
   * that does not fit is not waited for: the request then asks for its own cost alone.
   */
  batch?: Readonly<Record<string, number>>;
  /** How long tokens taken ahead stay spendable: a block another worker sets reaches this one within it. */
  spareTtlMs?: number;
  /** The longest one take waits in all before it gives up. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const Wait = z.object({ wait: z.number().nonnegative().or(z.literal(Infinity)) });

/** The gate of workers and distributed coordinators: the database's rate_buckets, shared by every process. */
export function sharedGate(db: Queryable, options: SharedGateOptions = {}): RateGate {
  const batch = options.batch ?? { request_weight: 10 };
  const spareTtlMs = options.spareTtlMs ?? 1_000;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const spare = new Map<string, { tokens: number; until: number }>();

  /** Spends from the tokens this process holds ahead, if they cover `cost` and have not expired. */
  function spendHeld(key: string, cost: number): boolean {
    const held = spare.get(key);
    if (!held || held.until <= now() || held.tokens < cost) return false;
    held.tokens -= cost;
    return true;
  }

  /** Keeps what a batch left over; the lot expires when its oldest tokens do (never spent late). */
  function hold(key: string, tokens: number): void {
    const held = spare.get(key);
    const live = held && held.until > now() ? held : undefined;
    spare.set(key, { tokens: (live?.tokens ?? 0) + tokens, until: live?.until ?? now() + spareTtlMs });
  }

  async function takeTokens(exchange: string, bucket: string, cost: number): Promise<number> {
    const [row] = await queryRows(db, Wait, 'select take_tokens($1, $2, $3) as wait', [exchange, bucket, cost]);
    return row!.wait;
  }

  return {
    async take(exchange, bucket, cost) {
      if (!(Number.isFinite(cost) && cost >= 0))
        throw new TraderError('INTERNAL', `A rate limit take must cost a finite number of at least 0, not ${cost}.`);
      const key = `${exchange}/${bucket}`;
      let ask = Math.max(cost, batch[bucket] ?? 0);
      for (let waitedMs = 0; ;) {
        if (spendHeld(key, cost)) return;
        const wait = await takeTokens(exchange, bucket, ask);
        if (wait === 0) return hold(key, ask - cost);
        // A batch may not fit where the request alone does (a nearly empty or small bucket): ask for that alone.
        if (ask > cost) {
          ask = cost;
          continue;
        }
        if (wait === Infinity)
          throw new TraderError(
            'CONFIG_INVALID',
            `A request costing ${cost} never fits ${exchange}'s ${bucket} bucket: raise its capacity in rate_buckets to at least ${cost}.`,
          );
        const waitMs = Math.ceil(wait * 1000);
        if (waitedMs + waitMs > maxWaitMs)
          throw new RateLimitWait(
            `${exchange}'s shared ${bucket} allowance would keep this request waiting over ${Math.round(maxWaitMs / 1000)} s: other workers are using it up or the exchange asked for a pause (rate_buckets); try again later.`,
          );
        await sleep(waitMs);
        waitedMs += waitMs;
      }
    },
    async blockedFor(exchange, ms) {
      if (!(Number.isFinite(ms) && ms >= 0))
        throw new TraderError('INTERNAL', `A rate limit block must last a finite number of ms, not ${ms}.`);
      // Tokens held ahead are not spent into a pause the exchange asked for.
      for (const key of spare.keys()) if (key.startsWith(`${exchange}/`)) spare.delete(key);
      await db.query(
        `update rate_buckets set blocked_until = greatest(blocked_until, clock_timestamp() + make_interval(secs => $2))
         where exchange = $1`,
        [exchange, ms / 1000],
      );
    },
  };
}
