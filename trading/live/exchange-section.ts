import type { Db } from '../../store/db.ts';
import { ACCOUNT_WIDE, withLiveLease } from './order-lease.ts';

/**
 * One LIVE exchange conversation at a time in this process (and, with the account-wide
 * order lease of withLiveAccount, across processes). `trader serve` runs pipeline
 * runs (HTTP) and the periodic supervision and reconciliation side by side; both recover
 * unsettled orders and protect open positions, and two of them racing over one position
 * could send the same client order id twice (the second answer would then be read as a
 * refusal). A LIVE run and a tick therefore queue for this section, in arrival order.
 * Not re-entrant: code inside the section never asks for it again.
 */
let tail: Promise<unknown> = Promise.resolve();

export function withLiveExchange<T>(work: () => Promise<T>): Promise<T> {
  const mine = tail.then(work, work);
  tail = mine.catch(() => undefined);
  return mine;
}

/**
 * `work` in this process's exchange section and under the LIVE account's account-wide order
 * lease: no other process (a worker sending a symbol's orders, another serve) talks orders
 * to the exchange meanwhile. A LIVE run, its distributed opener's prelude and reconciliation.
 */
export function withLiveAccount<T>(
  db: Db,
  o: { label: string; env?: NodeJS.ProcessEnv },
  work: () => Promise<T>,
): Promise<T> {
  return withLiveExchange(() => withLiveLease(db, ACCOUNT_WIDE, o, work));
}
