import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { traderEnv } from '../../core/env.ts';
import { errorMessage, TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { type Db, queryRows } from '../../store/db.ts';
import { isAlive } from '../../store/lock-file.ts';
import { loadLiveAccount } from '../live-account/live-account-repo.ts';
import { tradingScope, tradingTx, type TradingScope } from '../scope.ts';

/**
 * Order leases (order_leases, migration 20261207100000_live_workers.sql): one process at a
 * time sends orders for a market of the LIVE account, across every process and machine
 * (`trader worker`s, serve, the scheduler, a person's `trader run`). The account-wide lease
 * (market '*': a run's prelude, reconciliation, a local LIVE run) excludes every market lease
 * and the other way round. A lease lasts TTL_SECONDS unless its holder renews it, so a process
 * killed with its lease frees the market a minute later; the orders it may have left in
 * flight are found by their client ids (recover-orders.ts), never sent twice.
 */

export const ACCOUNT_WIDE = '*';
const TTL_SECONDS = 60;
const RENEW_MS = 20_000;
const POLL_MS = 200;

export interface LeaseKey {
  exchange: string;
  /** The symbol, or ACCOUNT_WIDE. */
  market: string;
}

const Blocker = z.object({ holder: z.string(), host: z.string(), pid: z.number() });

/** The holder that keeps `key` from this holder now, or null once this holder has the lease. */
async function tryAcquire(db: Db, scope: TradingScope, key: LeaseKey, holder: string): Promise<string | null> {
  const table = scope.table('order_leases');
  return tradingTx(db, scope, async (tx) => {
    // The one meeting point of two takers: without it a market lease and the account-wide
    // one, being different rows, could both be taken at once.
    await tx.query(`lock table ${table} in exclusive mode`);
    const blockers = await queryRows(
      tx,
      Blocker,
      `select holder, host, pid from ${table}
       where exchange = $1 and expires_at > now() and holder <> $3 and (market = $2 or market = '*' or $2 = '*')`,
      [key.exchange, key.market, holder],
    );
    // A holder that ran on this host and whose process is gone (kill -9, a crash) holds nothing.
    const gone = blockers.filter((b) => b.host === os.hostname() && !isAlive(b.pid));
    if (gone.length < blockers.length) return blockers.find((b) => !gone.includes(b))!.holder;
    if (gone.length)
      await tx.query(`delete from ${table} where exchange = $1 and holder = any($2::text[])`, [
        key.exchange,
        gone.map((b) => b.holder),
      ]);
    await tx.query(
      `insert into ${table} (exchange, market, holder, host, pid, expires_at)
       values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
       on conflict (exchange, market) do update
         set holder = excluded.holder, host = excluded.host, pid = excluded.pid, acquired_at = now(),
             expires_at = excluded.expires_at`,
      [key.exchange, key.market, holder, os.hostname(), process.pid, TTL_SECONDS],
    );
    return null;
  });
}

async function renew(db: Db, scope: TradingScope, key: LeaseKey, holder: string): Promise<void> {
  const kept = await tradingTx(db, scope, (tx) =>
    tx.query(
      `update ${scope.table('order_leases')} set expires_at = now() + make_interval(secs => $4)
       where exchange = $1 and market = $2 and holder = $3 returning 1`,
      [key.exchange, key.market, holder, TTL_SECONDS],
    ),
  );
  if (kept.length === 0)
    logger.error(
      { ...key, holder },
      'order lease lost (this process stalled past its time): another may send meanwhile',
    );
}

async function release(db: Db, scope: TradingScope, key: LeaseKey, holder: string): Promise<void> {
  await tradingTx(db, scope, (tx) =>
    tx.query(`delete from ${scope.table('order_leases')} where exchange = $1 and market = $2 and holder = $3`, [
      key.exchange,
      key.market,
      holder,
    ]),
  );
}

const what = (key: LeaseKey) =>
  key.market === ACCOUNT_WIDE
    ? `The LIVE account on ${key.exchange}`
    : `The LIVE market ${key.market} on ${key.exchange}`;

/**
 * Runs `work` holding the lease of `key`: waits (polling) while another holder has it or a
 * lease it conflicts with, for up to TRADER_ORDER_LEASE_WAIT_SECONDS, then refuses (LOCKED)
 * with nothing done. Not re-entrant: work done under a lease never asks for another.
 */
export async function withOrderLease<T>(
  db: Db,
  scope: TradingScope,
  key: LeaseKey,
  o: { label: string; env?: NodeJS.ProcessEnv },
  work: () => Promise<T>,
): Promise<T> {
  const holder = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')} ${o.label}`;
  const waitSeconds = traderEnv(o.env).TRADER_ORDER_LEASE_WAIT_SECONDS;
  const deadline = Date.now() + waitSeconds * 1000;
  for (let blocker = await tryAcquire(db, scope, key, holder); blocker !== null;) {
    if (Date.now() >= deadline)
      throw new TraderError(
        'LOCKED',
        `${what(key)} is busy with another process's orders (${blocker}) for over ${waitSeconds} s; nothing was sent, try again.`,
      );
    await sleep(POLL_MS);
    blocker = await tryAcquire(db, scope, key, holder);
  }
  const renewing = setInterval(
    () =>
      void renew(db, scope, key, holder).catch((e) =>
        logger.warn({ ...key, err: errorMessage(e) }, 'order lease not renewed'),
      ),
    RENEW_MS,
  );
  try {
    return await work();
  } finally {
    clearInterval(renewing);
    // Not released (the database is gone): the lease expires on its own.
    await release(db, scope, key, holder).catch((e) =>
      logger.warn({ ...key, err: errorMessage(e) }, 'order lease not released; it expires on its own'),
    );
  }
}

const live = tradingScope('LIVE');

/**
 * `work` under the lease of one market (or ACCOUNT_WIDE) of the LIVE account; without a LIVE
 * account nothing can be sent, so nothing is leased.
 */
export async function withLiveLease<T>(
  db: Db,
  market: string,
  o: { label: string; env?: NodeJS.ProcessEnv },
  work: () => Promise<T>,
): Promise<T> {
  const account = await tradingTx(db, live, loadLiveAccount);
  if (!account) return work();
  return withOrderLease(db, live, { exchange: account.exchange, market }, o, work);
}
