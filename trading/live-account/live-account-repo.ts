import { z } from 'zod';
import { bounds } from '../../core/bounds.ts';
import { TraderError } from '../../core/errors.ts';
import { queryRows, type Queryable } from '../../store/db.ts';

/**
 * The LIVE account row (trading_live.account, migration 20261203141500_live_account.sql):
 * written only by `trader live init`, read by the risk gate (caps), the unlock and
 * `trader status`. Every read runs as trader_live, so a TEST process cannot see it.
 */

const num = z.coerce.number();

export const LiveAccount = z.object({
  exchange: z.string(),
  key_name: z.string(),
  sandbox: z.boolean(),
  max_order_notional: num,
  max_daily_notional: num,
  initialised_at: z.date(),
});
export type LiveAccount = z.infer<typeof LiveAccount>;

/** The caps the risk gate holds every LIVE entry to. */
export const LiveCaps = z.object({
  max_order_notional: z.number(),
  max_daily_notional: z.number(),
  /** Notional of today's LIVE entries (UTC day), before the one being checked. */
  used_today: z.number(),
});
export type LiveCaps = z.infer<typeof LiveCaps>;

export async function loadLiveAccount(q: Queryable): Promise<LiveAccount | undefined> {
  const rows = await queryRows(
    q,
    LiveAccount,
    `select exchange, api_key_name as key_name, sandbox, max_order_notional, max_daily_notional, initialised_at
       from trading_live.account where id = 1`,
  );
  return rows[0];
}

export function noLiveAccount(): TraderError {
  return new TraderError('CONFIG_INVALID', 'There is no LIVE account yet; run `trader live init` first.');
}

/** The start of the UTC day `at` falls in: the daily cap resets at 00:00 UTC. */
export function utcDayStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/** Sum of qty x price of the LIVE entry fills in the UTC day of `at`, up to `at`. */
export async function entryNotionalOfDay(q: Queryable, at: Date): Promise<number> {
  const [row] = await queryRows(
    q,
    z.object({ used: num }),
    `select coalesce(sum(qty * price), 0) as used from trading_live.trades
      where kind = 'entry' and ts >= $1 and ts <= $2`,
    [utcDayStart(at), at],
  );
  return row!.used;
}

/** The account's caps with what today's entries used; undefined without an account. */
export async function loadLiveCaps(q: Queryable, at: Date): Promise<LiveCaps | undefined> {
  const account = await loadLiveAccount(q);
  if (!account) return undefined;
  return {
    max_order_notional: account.max_order_notional,
    max_daily_notional: account.max_daily_notional,
    used_today: await entryNotionalOfDay(q, at),
  };
}

/** A cap given by the user: positive, at most `bounds.maxAmount`, the per-order one within the daily one. */
export function checkCaps(caps: { max_order_notional: number; max_daily_notional: number }): void {
  for (const [flag, v] of [
    ['--max-order-notional', caps.max_order_notional],
    ['--max-daily-notional', caps.max_daily_notional],
  ] as const) {
    if (!(v >= bounds.minAmount && v <= bounds.maxAmount))
      throw new TraderError(
        'BAD_INPUT',
        `${flag} must be a positive amount from ${bounds.minAmount} to ${bounds.maxAmount.toExponential()} in the quote currency, not ${v}.`,
      );
  }
  if (caps.max_order_notional > caps.max_daily_notional)
    throw new TraderError(
      'BAD_INPUT',
      `--max-order-notional (${caps.max_order_notional}) must not exceed --max-daily-notional (${caps.max_daily_notional}).`,
    );
}
