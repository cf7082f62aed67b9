import { afterEach, describe, expect, it } from 'vitest';
import { TraderError } from '../../../core/errors.ts';
import { resumeTrading } from '../../../trading/governance/halt.ts';
import { loadLiveStatus } from '../../../trading/live-account/live-status.ts';
import { countAttempt, findOrder, insertPendingOrder, setOrderState } from '../../../trading/live/orders-repo.ts';
import { acceptReconciliation } from '../../../trading/live/reconcile/accept.ts';
import { marketHaltOf } from '../../../trading/live/reconcile/market-halt.ts';
import { reconcileAccount } from '../../../trading/live/reconcile/reconcile.ts';
import { tradingTx } from '../../../trading/scope.ts';
import { loadState } from '../../../trading/state-repo.ts';
import { backends } from '../../helpers/db.ts';
import {
  audited,
  expectWalletsMatch,
  live,
  openProtectedLong,
  positionOf,
  startWorld,
  stopId,
  type World,
} from './reconcile-world.ts';

/**
 * Reconciliation against the Binance simulator through the real ccxt, on both backends:
 * what the exchange did while trader was not looking is adopted and booked with its real
 * fees; what nothing explains halts LIVE until the user accepts it.
 */
describe.each(backends)('reconciling the LIVE account with the exchange (%s)', (kind) => {
  let w: World;
  afterEach(async () => w?.close());

  it('a stop filled on the exchange while trader was down: adopted, the position closed, balances equal, every change audited', async () => {
    w = await startWorld(kind);
    const position = await openProtectedLong(w);
    // The fee of the buy was paid in BTC: the position owns what arrived, not what was ordered.
    expect(position.open_qty).toBeCloseTo(0.01 - 0.00001, 10);
    await expectWalletsMatch(w);

    w.sim.setPrice('BTC/USDT', 58_950);
    const r = await reconcileAccount(w.db, w.port);
    expect(r).toMatchObject({ outcome: 'reconciled', adopted: 1, unexplained: 0 });
    expect(r.differences.map((d) => [d.kind, d.explained])).toEqual([['fill_adopted', true]]);
    const closed = await positionOf(w, position.position_id);
    expect(closed).toMatchObject({ status: 'closed', close_reason: 'stop_loss', open_qty: 0 });
    expect((await tradingTx(w.db, live, (tx) => findOrder(tx, live, stopId)))!.state).toBe('FILLED');
    await expectWalletsMatch(w);
    expect(r.equity).toBeCloseTo(w.sim.balances().USDT!.free, 6);

    const updates = (await audited(w, 'RECONCILE_UPDATE')).map((a) => a.details);
    expect(updates).toContainEqual(
      expect.objectContaining({
        table: 'trading_live.positions',
        id: String(position.position_id),
        field: 'status',
        old_value: 'open',
        new_value: 'closed',
      }),
    );
    expect(updates).toContainEqual(
      expect.objectContaining({ table: 'trading_live.wallets', id: 'BTC', field: 'balance', new_value: 0 }),
    );
    expect(updates).toContainEqual(
      expect.objectContaining({
        table: 'trading_live.orders',
        id: stopId,
        field: 'state',
        old_value: 'NEW',
        new_value: 'FILLED',
      }),
    );
    expect((await audited(w, 'RECONCILE_CYCLE')).map((a) => a.status)).toEqual(['SUCCESS']);

    // Nothing happened since: the next cycle adopts nothing and finds nothing.
    const again = await reconcileAccount(w.db, w.port);
    expect(again).toMatchObject({ outcome: 'reconciled', adopted: 0, differences: [] });
  });

  it('a position closed by hand on the website: the stop is found cancelled, the sale adopted as a close', async () => {
    w = await startWorld(kind);
    const position = await openProtectedLong(w);
    expect(w.sim.website.marketClose('BTC/USDT')).toBeDefined();
    const r = await reconcileAccount(w.db, w.port);
    expect(r).toMatchObject({ outcome: 'reconciled', adopted: 1, unexplained: 0 });
    expect(r.differences.map((d) => d.kind)).toEqual(['manual_fill']);
    expect(r.recovered).toMatchObject([{ client_order_id: stopId, outcome: 'adopted', state: 'CANCELED' }]);
    expect(await positionOf(w, position.position_id)).toMatchObject({ status: 'closed', close_reason: 'close' });
    await expectWalletsMatch(w);
  });

  it('a fee in the base asset leaves a rest below the lot size: the position closes and the rest is tracked as dust', async () => {
    w = await startWorld(kind, { stepSize: 0.0001, minQty: 0.0001 });
    const position = await openProtectedLong(w, 0.01, 0.0001);
    w.sim.setPrice('BTC/USDT', 58_950);
    const r = await reconcileAccount(w.db, w.port);
    expect(r).toMatchObject({ outcome: 'reconciled', unexplained: 0 });
    expect(r.differences.map((d) => d.kind)).toEqual(['fill_adopted', 'dust']);
    // Exactly, in the exchange's decimals (float subtraction gave 0.0000899999999999998).
    expect(r.differences[1]!.local_value).toBe(0.00009);
    expect(await positionOf(w, position.position_id)).toMatchObject({ status: 'closed' });
    // 0.01 bought, 0.00001 paid as fee, 0.0099 sold by the stop: 0.00009 BTC stays on the account.
    await expectWalletsMatch(w);
    expect(w.sim.balances().BTC!.free).toBeCloseTo(0.00009, 8);
    const status = await loadLiveStatus(w.db, { now: new Date() });
    expect(status.reconciliation.dust).toHaveLength(1);
    expect(status.reconciliation.dust[0]).toMatchObject({ exchange: 'binance', asset: 'BTC' });
    expect(status.reconciliation.dust[0]!.qty).toBe(0.00009);
  });

  it('an empty account reconciled at 0 equity has no drawdown yet: its first equity becomes the peak', async () => {
    w = await startWorld(kind, {}, {});
    expect(await reconcileAccount(w.db, w.port)).toMatchObject({ outcome: 'reconciled', equity: 0 });
    const empty = await tradingTx(w.db, live, (tx) => loadState(tx, live));
    // Not a 100 % drawdown against a placeholder peak: no emergency halt for an account not funded yet.
    expect(empty).toMatchObject({ equity: 0, peak_equity: 0, drawdown_pct: 0, halted: false });
    w.sim.setBalance('USDT', 800);
    await acceptReconciliation(w.db, w.port, { keys: w.keys, ask: { confirm: async () => true } });
    expect(await reconcileAccount(w.db, w.port)).toMatchObject({ outcome: 'reconciled', equity: 800 });
    const funded = await tradingTx(w.db, live, (tx) => loadState(tx, live));
    expect(funded).toMatchObject({ equity: 800, peak_equity: 800, drawdown_pct: 0, halted: false });
  });

  it('a deposit nothing explains halts LIVE (loud in status, resume refused) until accepted with the PIN', async () => {
    w = await startWorld(kind);
    w.sim.setBalance('USDT', 10_500);
    const r = await reconcileAccount(w.db, w.port);
    expect(r).toMatchObject({ outcome: 'halted', unexplained: 1 });
    expect(r.differences).toMatchObject([
      { kind: 'balance_mismatch', explained: false, asset: 'USDT', local_value: 10_000, exchange_value: 10_500 },
    ]);
    const state = await tradingTx(w.db, live, (tx) => loadState(tx, live));
    expect(state.halted).toBe(true);
    expect(state.halt_reason).toMatch(/^RECONCILIATION: 1 unexplained difference\(s\) with binance/);
    expect((await audited(w, 'LIVE_HALTED_RECONCILIATION')).map((a) => a.status)).toEqual(['CRITICAL']);
    const status = await loadLiveStatus(w.db, { now: new Date() });
    expect(status.reconciliation.open_differences).toEqual([expect.stringMatching(/^USDT: the exchange holds 10500/)]);
    await expect(resumeTrading(w.db, live, { confirm: async () => true })).rejects.toThrow(/trader reconcile --accept/);

    // The key file cannot accept; a declined question leaves the halt.
    await expect(
      acceptReconciliation(w.db, w.port, { keys: { ...w.keys, via: 'key_file' }, ask: { confirm: async () => true } }),
    ).rejects.toThrow(TraderError);
    await expect(
      acceptReconciliation(w.db, w.port, { keys: w.keys, ask: { confirm: async () => false } }),
    ).rejects.toThrow(/stays halted/);
    expect((await tradingTx(w.db, live, (tx) => loadState(tx, live))).halted).toBe(true);

    const accepted = await acceptReconciliation(w.db, w.port, { keys: w.keys, ask: { confirm: async () => true } });
    expect(accepted.changed).toBe(true);
    expect(accepted.accepted.length).toBeGreaterThanOrEqual(1);
    const after = await tradingTx(w.db, live, (tx) => loadState(tx, live));
    expect(after).toMatchObject({ halted: false, halt_reason: null });
    await expectWalletsMatch(w);
    expect((await loadLiveStatus(w.db, { now: new Date() })).reconciliation.open_differences).toEqual([]);
    expect(await reconcileAccount(w.db, w.port)).toMatchObject({ outcome: 'reconciled', differences: [] });
    expect((await audited(w, 'RECONCILIATION_ACCEPTED')).map((a) => a.status)).toEqual(['REJECTED', 'SUCCESS']);
  });

  it('an order known here that the exchange does not know becomes RECONCILED_UNKNOWN, explained', async () => {
    w = await startWorld(kind);
    await tradingTx(w.db, live, async (tx) => {
      await insertPendingOrder(tx, live, {
        client_order_id: 'tr-entry-000000000000000000000042',
        exchange: 'binance',
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        role: 'entry',
        qty: 0.01,
      });
      await countAttempt(tx, live, 'tr-entry-000000000000000000000042');
      await setOrderState(tx, live, 'tr-entry-000000000000000000000042', 'NEW', null);
    });
    const r = await reconcileAccount(w.db, w.port);
    expect(r).toMatchObject({ outcome: 'reconciled', unexplained: 0 });
    expect(r.recovered).toMatchObject([{ outcome: 'reconciled_unknown', state: 'RECONCILED_UNKNOWN' }]);
    expect(r.differences.map((d) => [d.kind, d.explained])).toEqual([['order_unknown', true]]);
  });

  it('an exchange that keeps failing for one market halts that market only, loudly, until it answers again', async () => {
    w = await startWorld(kind);
    await openProtectedLong(w);
    const fault = w.sim.faults.serverError(503, { path: '/api/v3/myTrades' });
    const cycles = [];
    for (let i = 0; i < 3; i++) cycles.push(await reconcileAccount(w.db, w.port, { failureLimit: 3 }));
    expect(cycles.map((c) => [c.outcome, c.failing_markets[0]?.failures, c.failing_markets[0]?.halted])).toEqual([
      ['reconciled', 1, false],
      ['reconciled', 2, false],
      ['reconciled', 3, true],
    ]);
    expect((await tradingTx(w.db, live, (tx) => loadState(tx, live))).halted).toBe(false);
    expect(await tradingTx(w.db, live, (tx) => marketHaltOf(tx, 'binance', 'BTC/USDT'))).toMatch(
      /^binance BTC\/USDT kept failing/,
    );
    expect(await tradingTx(w.db, live, (tx) => marketHaltOf(tx, 'binance', 'ETH/USDT'))).toBeNull();
    expect((await loadLiveStatus(w.db, { now: new Date() })).reconciliation.halted_markets).toMatchObject([
      { exchange: 'binance', symbol: 'BTC/USDT' },
    ]);
    expect((await audited(w, 'LIVE_MARKET_HALTED')).map((a) => a.status)).toEqual(['CRITICAL']);

    fault.clear();
    expect(await reconcileAccount(w.db, w.port)).toMatchObject({
      outcome: 'reconciled',
      failing_markets: [],
      differences: [],
    });
    expect(await tradingTx(w.db, live, (tx) => marketHaltOf(tx, 'binance', 'BTC/USDT'))).toBeNull();
    expect((await audited(w, 'LIVE_MARKET_RESUMED')).length).toBe(1);
  });
});
