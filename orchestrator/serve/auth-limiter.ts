import { isIPv6 } from 'node:net';
import { logger } from '../../core/logger.ts';

/**
 * Failed authentication, rate-limited and summarised per client address, so that a flood
 * of bad requests neither guesses on nor fills the audit trail.
 *
 * An address's first refused request opens a window of `windowSeconds`. After `failures`
 * refusals in it, every request from that address that needs a token is answered 429
 * (with Retry-After) until the window ends, without the token even being looked at. When
 * the window ends (noticed at the address's next request, by a sweep, or when the server
 * stops), it becomes one audit row with the counts. IPv6 clients are grouped by /64, the
 * block one machine usually holds, so rotating through its addresses gains nothing.
 */

export interface AuthLimits {
  /** Refused requests per window before the address gets 429. */
  failures: number;
  windowSeconds: number;
}

export const defaultAuthLimits: AuthLimits = { failures: 10, windowSeconds: 60 };

/** Windows tracked at once; past this, new addresses are still counted in one shared row but not limited. */
const maxTracked = 10_000;
const overflowKey = '*';

export type RefusalReason = 'missing' | 'malformed' | 'unknown';

/** What the audit row of one window says. */
export interface RefusalSummary {
  remote: string;
  /** Every refused request of the window: refused tokens plus requests answered 429. */
  count: number;
  refused: number;
  rate_limited: number;
  reasons: Record<RefusalReason, number>;
  /** The first few distinct `METHOD /path` asked for. */
  requests: string[];
  first_at: string;
  last_at: string;
  window_seconds: number;
}

interface Window {
  remote: string;
  ends: number;
  refused: number;
  limited: number;
  reasons: Record<RefusalReason, number>;
  requests: Set<string>;
  first: number;
  last: number;
}

const maxRequestsListed = 5;

/** The key an address is limited under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!.toLowerCase();
  if (!isIPv6(bare)) return address;
  // Expand "::" to its zero groups; only the first four groups matter.
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly writes = new Set<Promise<void>>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly limits: AuthLimits,
    private readonly clock: () => Date,
    /** Appends the window's audit row. */
    private readonly record: (summary: RefusalSummary) => Promise<void>,
  ) {
    this.sweep = setInterval(() => this.flushEnded(), (limits.windowSeconds * 1000) / 4);
    this.sweep.unref();
  }

  private now(): number {
    return this.clock().getTime();
  }

  /**
   * Whole seconds until `address` may present a token again (0: now). A window of the
   * address that has ended is written first, so its row is in the trail before this returns.
   */
  async retryAfter(address: string | undefined): Promise<number> {
    const key = clientKey(address);
    const w = this.windows.get(key);
    if (!w) return 0;
    const now = this.now();
    if (now >= w.ends) {
      await this.flush(key, w);
      return 0;
    }
    return w.refused >= this.limits.failures ? Math.max(1, Math.ceil((w.ends - now) / 1000)) : 0;
  }

  /** Counts a request refused for its token (401). */
  refused(address: string | undefined, reason: RefusalReason, request: string): void {
    const w = this.open(address);
    w.refused++;
    w.reasons[reason]++;
    this.note(w, request);
    if (w.refused === this.limits.failures)
      logger.warn(
        { remote: w.remote, failures: w.refused, window_seconds: this.limits.windowSeconds },
        'too many failed authentications: further requests from this address get 429 until the window ends',
      );
  }

  /** Counts a request answered 429. */
  limited(address: string | undefined, request: string): void {
    const w = this.open(address);
    w.limited++;
    this.note(w, request);
  }

  /** Writes every window, ended or not, and waits for all writes: the server is stopping. */
  async close(): Promise<void> {
    clearInterval(this.sweep);
    for (const [key, w] of [...this.windows]) void this.flush(key, w);
    await Promise.all([...this.writes]);
  }

  private open(address: string | undefined): Window {
    let key = clientKey(address);
    if (!this.windows.has(key) && this.windows.size >= maxTracked) {
      this.flushEnded();
      if (this.windows.size >= maxTracked) key = overflowKey;
    }
    let w = this.windows.get(key);
    if (!w) {
      const now = this.now();
      w = {
        remote: key === overflowKey ? 'many addresses' : key,
        ends: now + this.limits.windowSeconds * 1000,
        refused: 0,
        limited: 0,
        reasons: { missing: 0, malformed: 0, unknown: 0 },
        requests: new Set(),
        first: now,
        last: now,
      };
      this.windows.set(key, w);
    }
    return w;
  }

  private note(w: Window, request: string): void {
    w.last = this.now();
    if (w.requests.size < maxRequestsListed) w.requests.add(request);
  }

  private flushEnded(): void {
    const now = this.now();
    for (const [key, w] of [...this.windows]) if (now >= w.ends) void this.flush(key, w);
  }

  /** Removes the window at once (a concurrent request opens a new one) and writes its row. */
  private flush(key: string, w: Window): Promise<void> {
    this.windows.delete(key);
    const write = this.record({
      remote: w.remote,
      count: w.refused + w.limited,
      refused: w.refused,
      rate_limited: w.limited,
      reasons: w.reasons,
      requests: [...w.requests],
      first_at: new Date(w.first).toISOString(),
      last_at: new Date(w.last).toISOString(),
      window_seconds: this.limits.windowSeconds,
    }).catch((e: unknown) => logger.error({ err: e, remote: w.remote }, 'could not audit refused HTTP requests'));
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
    return write;
  }
}
