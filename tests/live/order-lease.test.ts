import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCOUNT_WIDE, withLiveLease } from '../../trading/live/order-lease.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { liveStateSql } from './live-fixtures.ts';

/**
 * Order leases (trading/live/order-lease.ts): one holder per market of the LIVE account, the
 * account-wide lease excluding every market; a dead holder's lease does not block. On both
 * backends; the holders here are concurrent callers, as worker slots and processes are.
 */
describe.each(backends)('order leases (%s)', (kind) => {
  let db: TestDb;
  const env = { ...process.env, TRADER_ORDER_LEASE_WAIT_SECONDS: '1' };
  beforeEach(async () => {
    db = await freshDb(kind);
    await db.exec(liveStateSql);
  });
  afterEach(async () => db.dispose());

  /** A holder of `market` that keeps it until `release` resolves, noting when it held it. */
  function holder(market: string, log: string[], name: string) {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let taken!: () => void;
    const held = new Promise<void>((r) => (taken = r));
    const done = withLiveLease(db, market, { label: name, env }, async () => {
      log.push(`${name} in`);
      taken();
      await released;
      log.push(`${name} out`);
    });
    return { held, release, done };
  }

  it('a market has one holder at a time; other markets go on; the account-wide lease waits for all', async () => {
    const log: string[] = [];
    const btc = holder('BTC/USDT', log, 'a');
    await btc.held;
    const eth = holder('ETH/USDT', log, 'b');
    await eth.held; // another market: not blocked
    const btc2 = holder('BTC/USDT', log, 'c');
    const all = holder(ACCOUNT_WIDE, log, 'd');
    await sleep(300);
    expect(log).toEqual(['a in', 'b in']);
    btc.release();
    await btc.done;
    await btc2.held;
    btc2.release();
    eth.release();
    await Promise.all([btc2.done, eth.done]);
    await all.held;
    expect(log.indexOf('d in')).toBeGreaterThan(Math.max(log.indexOf('b out'), log.indexOf('c out')));
    // While the account is held, a market waits for it.
    const btc3 = holder('BTC/USDT', log, 'e');
    await sleep(300);
    expect(log).not.toContain('e in');
    all.release();
    await all.done;
    await btc3.held;
    btc3.release();
    await btc3.done;
    expect(await db.query('select * from trading_live.order_leases')).toEqual([]);
  });

  it('a holder that keeps the market past the wait: the other is refused in one sentence, nothing done', async () => {
    const log: string[] = [];
    const a = holder('BTC/USDT', log, 'a');
    await a.held;
    let ran = false;
    await expect(
      withLiveLease(db, 'BTC/USDT', { label: 'b', env }, async () => {
        ran = true;
      }),
    ).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringMatching(
        /^The LIVE market BTC\/USDT on binance is busy with another process's orders \(.+ a\) for over 1 s; nothing was sent, try again\.$/,
      ),
    });
    expect(ran).toBe(false);
    a.release();
    await a.done;
  });

  it('a lease left by a killed process on this host, or past its expiry, does not block', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await db.query(
      `insert into trading_live.order_leases (exchange, market, holder, host, pid, expires_at) values
       ('binance', 'BTC/USDT', 'killed', $1, $2, now() + interval '1 hour'),
       ('binance', 'ETH/USDT', 'stalled', 'elsewhere', 1, now() - interval '1 second')`,
      [os.hostname(), dead],
    );
    const got: string[] = [];
    await withLiveLease(db, ACCOUNT_WIDE, { label: 'next', env }, async () => void got.push('account'));
    await withLiveLease(db, 'ETH/USDT', { label: 'next', env }, async () => void got.push('eth'));
    expect(got).toEqual(['account', 'eth']);
    // A live holder elsewhere still blocks, however quiet this host's processes are.
    await db.query(
      `insert into trading_live.order_leases (exchange, market, holder, host, pid, expires_at)
       values ('binance', 'BTC/USDT', 'alive elsewhere', 'elsewhere', 1, now() + interval '1 hour')`,
    );
    await expect(withLiveLease(db, 'BTC/USDT', { label: 'next', env }, async () => undefined)).rejects.toMatchObject({
      code: 'LOCKED',
    });
  });

  it('without a LIVE account nothing is leased', async () => {
    await db.exec('delete from trading_live.account');
    expect(await withLiveLease(db, 'BTC/USDT', { label: 'x', env }, async () => 7)).toBe(7);
    expect(await db.query('select * from trading_live.order_leases')).toEqual([]);
  });
});
