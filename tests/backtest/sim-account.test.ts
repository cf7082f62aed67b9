/**
 * The backtest's in-memory account against P&L worked out by hand. Costs are the paper
 * broker's: fee 10 bps of notional per fill, slippage 5 bps against the trader.
 */
import { describe, expect, it } from 'vitest';
import { SimAccount, type PendingEntry } from '../../backtest/sim-account.ts';
import { slippedPrice } from '../../trading/paper/fill-model.ts';

const costs = { feeRate: 0.001, slippage: 0.0005 };
const T0 = Date.UTC(2024, 0, 1);
const H = 3_600_000;
const D = 10; // toBeCloseTo digits

function order(
  o: Partial<PendingEntry> & Pick<PendingEntry, 'side' | 'qty' | 'entry' | 'stop' | 'take_profits'>,
): PendingEntry {
  return {
    symbol: 'BTC/USDT',
    category: 'major',
    leverage: 1,
    risk_amount: o.qty * Math.abs(o.entry - o.stop),
    decided_at: T0,
    source_module: 'scripted_trades_v1',
    contributors: [{ module_id: 'scripted_trades_v1', version: '1.0.0', stage: 'risk' }],
    ...o,
  };
}

const opened = <T>(p: T | { refused: string }): T => {
  if (typeof p === 'object' && p !== null && 'refused' in p) throw new Error(`refused: ${p.refused}`);
  return p as T;
};

describe('SimAccount', () => {
  it('a long with a two-rung ladder: every fill, fee, cash step and the trade record by hand', () => {
    const acct = new SimAccount(10_000, costs);
    // Entry: buy 1 at open 100 -> 100 x 1.0005 = 100.05; notional 100.05 = margin (1x); fee 0.10005.
    // cash = 10,000 - 100.05 - 0.10005 = 9,899.84995
    const pos = opened(
      acct.openAt(
        order({
          side: 'buy',
          qty: 1,
          entry: 99,
          stop: 95,
          take_profits: [
            { price: 110, fraction: 0.5 },
            { price: 120, fraction: 0.5 },
          ],
        }),
        100,
        T0 + H,
        1,
      ),
    );
    expect(pos.entry_price).toBeCloseTo(100.05, D);
    expect(pos.margin).toBeCloseTo(100.05, D);
    expect(pos.fees).toBeCloseTo(0.10005, D);
    expect(acct.cash).toBeCloseTo(9_899.84995, D);
    expect(acct.realizedBySymbol.get('BTC/USDT')).toBeCloseTo(-0.10005, D);
    // Marked at 102: cash + margin + (102 - 100.05) x 1 = 9,899.84995 + 100.05 + 1.95 = 10,001.84995
    expect(acct.equity(new Map([['BTC/USDT', 102]]))).toBeCloseTo(10_001.84995, D);
    // No close known for the symbol: marked at entry, so equity = cash + margin = 10,000 - fee.
    expect(acct.equity(new Map())).toBeCloseTo(9_999.89995, D);

    // TP1: sell 0.5 at 110 x 0.9995 = 109.945; pnl (109.945 - 100.05) x 0.5 = 4.9475; fee 0.5 x 109.945 x 0.001 = 0.0549725;
    // released margin 50.025; cash += 50.025 + 4.9475 - 0.0549725 = 54.9175275 -> 9,954.7674775
    acct.exit(pos, 'take_profit', 0.5, slippedPrice('sell', 110, costs.slippage), T0 + 3 * H, 3, 0);
    expect(acct.cash).toBeCloseTo(9_954.7674775, D);
    expect(pos.open_qty).toBeCloseTo(0.5, D);
    expect(pos.margin).toBeCloseTo(50.025, D);
    expect(pos.take_profits[0]!.filled_at).toBe(new Date(T0 + 3 * H).toISOString());
    expect(pos.take_profits[1]!.filled_at).toBeNull();
    expect(acct.trades).toHaveLength(0);
    expect(acct.open).toHaveLength(1);

    // TP2: sell the last 0.5 at 120 x 0.9995 = 119.94; pnl (119.94 - 100.05) x 0.5 = 9.945; fee 0.05997; released 50.025;
    // cash += 50.025 + 9.945 - 0.05997 = 59.91003 -> 10,014.6775075
    acct.exit(pos, 'take_profit', 0.5, slippedPrice('sell', 120, costs.slippage), T0 + 6 * H, 6, 1);
    expect(acct.cash).toBeCloseTo(10_014.6775075, D);
    expect(acct.open).toHaveLength(0);
    expect(acct.trades).toHaveLength(1);
    const t = acct.trades[0]!;
    // fees 0.10005 + 0.0549725 + 0.05997 = 0.2149925; pnl 4.9475 + 9.945 - 0.2149925 = 14.6775075 (= cash - 10,000)
    // initial risk 1 x (100.05 - 95) = 5.05; r = 14.6775075 / 5.05; planned rr (120 - 100.05) / 5.05 = 19.95 / 5.05
    // exit price (0.5 x 109.945 + 0.5 x 119.94) / 1 = 114.9425
    expect(t).toMatchObject({
      trade_no: 1,
      symbol: 'BTC/USDT',
      side: 'long',
      qty: 1,
      decided_at: T0,
      entry_ts: T0 + H,
      stop: 95,
      targets: [110, 120],
      exit_ts: T0 + 6 * H,
      exit_reason: 'take_profit',
      bars_held: 5,
      source_module: 'scripted_trades_v1',
      contributors: [{ module_id: 'scripted_trades_v1', version: '1.0.0', stage: 'risk' }],
    });
    expect(t.entry_price).toBeCloseTo(100.05, D);
    expect(t.fees).toBeCloseTo(0.2149925, D);
    expect(t.pnl).toBeCloseTo(14.6775075, D);
    expect(t.initial_risk).toBeCloseTo(5.05, D);
    expect(t.r_multiple).toBeCloseTo(14.6775075 / 5.05, D);
    expect(t.planned_rr).toBeCloseTo(19.95 / 5.05, D);
    expect(t.exit_price).toBeCloseTo(114.9425, D);
    expect(acct.realizedBySymbol.get('BTC/USDT')).toBeCloseTo(14.6775075, D);
    expect(acct.equity(new Map([['BTC/USDT', 1]]))).toBeCloseTo(10_014.6775075, D);
  });

  it('a short stopped out: fills slip upwards on the exit, pnl and r by hand', () => {
    const acct = new SimAccount(10_000, costs);
    // Entry: sell 2 at 200 x 0.9995 = 199.9; notional 399.8 = margin; fee 0.3998; cash = 10,000 - 400.1998 = 9,599.8002
    const pos = opened(
      acct.openAt(
        order({
          symbol: 'ETH/USDT',
          side: 'sell',
          qty: 2,
          entry: 200,
          stop: 210,
          take_profits: [{ price: 180, fraction: 1 }],
        }),
        200,
        T0,
        0,
      ),
    );
    expect(pos.side).toBe('short');
    expect(pos.entry_price).toBeCloseTo(199.9, D);
    expect(acct.cash).toBeCloseTo(9_599.8002, D);
    // Marked at 195: 9,599.8002 + 399.8 + (195 - 199.9) x 2 x -1 = 9.8 -> 10,009.4002
    expect(acct.equity(new Map([['ETH/USDT', 195]]))).toBeCloseTo(10_009.4002, D);
    // Marked at 205: 9,599.8002 + 399.8 - 10.2 = 9,989.4002
    expect(acct.equity(new Map([['ETH/USDT', 205]]))).toBeCloseTo(9_989.4002, D);

    // Stop: buy 2 at 210 x 1.0005 = 210.105; pnl (210.105 - 199.9) x 2 x -1 = -20.41; fee 2 x 210.105 x 0.001 = 0.42021;
    // cash += 399.8 - 20.41 - 0.42021 = 378.96979 -> 9,978.76999
    acct.exit(pos, 'stop_loss', 2, slippedPrice('buy', 210, costs.slippage), T0 + 4 * H, 4);
    expect(acct.cash).toBeCloseTo(9_978.76999, D);
    const t = acct.trades[0]!;
    // pnl = -20.41 - 0.3998 - 0.42021 = -21.23001; risk 2 x |199.9 - 210| = 20.2; planned rr (180 - 199.9) x -1 / 10.1 = 19.9 / 10.1
    expect(t.side).toBe('short');
    expect(t.exit_reason).toBe('stop_loss');
    expect(t.pnl).toBeCloseTo(-21.23001, D);
    expect(t.fees).toBeCloseTo(0.3998 + 0.42021, D);
    expect(t.initial_risk).toBeCloseTo(20.2, D);
    expect(t.r_multiple).toBeCloseTo(-21.23001 / 20.2, D);
    expect(t.planned_rr).toBeCloseTo(19.9 / 10.1, D);
    expect(t.exit_price).toBeCloseTo(210.105, D);
    expect(t.bars_held).toBe(4);
    expect(acct.realizedBySymbol.get('ETH/USDT')).toBeCloseTo(-21.23001, D);
  });

  it('isolated margin: a leveraged position never loses more than its margin (plus fees), marked or realised', () => {
    const c = { feeRate: 0.001, slippage: 0 };
    const acct = new SimAccount(10_000, c);
    // Buy 10 at 100 with 5x: notional 1,000, margin 200, fee 1; cash = 9,799
    const pos = opened(
      acct.openAt(
        order({ side: 'buy', qty: 10, entry: 100, stop: 95, leverage: 5, take_profits: [{ price: 120, fraction: 1 }] }),
        100,
        T0,
        0,
      ),
    );
    expect(pos.margin).toBeCloseTo(200, D);
    expect(acct.cash).toBeCloseTo(9_799, D);
    // Marked at 70 the raw loss is 300, floored at the margin 200: equity = 9,799 + 200 - 200 = 9,799
    expect(SimAccount.unrealized(pos, 70)).toBeCloseTo(-200, D);
    expect(acct.equity(new Map([['BTC/USDT', 70]]))).toBeCloseTo(9_799, D);
    // Marked at 90 the loss (100) is inside the margin: equity = 9,799 + 200 - 100 = 9,899
    expect(acct.equity(new Map([['BTC/USDT', 90]]))).toBeCloseTo(9_899, D);
    // The stop gaps to 70: raw pnl -300, fee 0.7; released 200 + pnl - fee < 0, so the exit returns nothing:
    // realised = fee - released = -199.3, cash unchanged 9,799; trade pnl = -199.3 - 1 - 0.7 = -201 (margin + both fees)
    acct.exit(pos, 'stop_loss', 10, 70, T0 + H, 1);
    expect(acct.cash).toBeCloseTo(9_799, D);
    expect(acct.trades[0]!.pnl).toBeCloseTo(-201, D);
    expect(acct.trades[0]!.pnl).toBeCloseTo(acct.cash - 10_000, D);
    expect(acct.cash).toBeGreaterThanOrEqual(0);
  });

  it('fills what the wallet pays of an entry the open moved against (floored to the step), refuses one it cannot pay at all', () => {
    const buy = (qty: number, entry: number) =>
      order({ side: 'buy', qty, entry, stop: 90, take_profits: [{ price: 120, fraction: 1 }], risk_amount: qty * 10 });
    // Buy 1 at 99.95 x 1.0005 = 99.999975; margin + fee = 99.999975 x 1.001 = 100.099974975 > 100: 0.99 fits.
    const acct = new SimAccount(100, costs);
    const cut = opened(acct.openAt(buy(1, 99.95), 99.95, T0, 0, 0.01));
    expect(cut.open_qty).toBe(0.99);
    expect(cut.order).toMatchObject({ qty: 0.99, risk_amount: 9.9 });
    expect(acct.cash).toBeCloseTo(100 - 0.99 * 100.099974975, D);
    // Without a known step the largest quantity that fits fills, to the last float.
    const exact = new SimAccount(100, costs);
    opened(exact.openAt(buy(1, 99.95), 99.95, T0, 0));
    expect(exact.cash).toBeGreaterThanOrEqual(0);
    expect(exact.cash).toBeLessThan(1e-9);
    // Nothing fits: refused, the account untouched.
    const poor = new SimAccount(0.5, costs);
    expect(poor.openAt(buy(1, 99.95), 99.95, T0, 0, 1)).toEqual({
      refused: expect.stringContaining('cannot pay margin'),
    });
    expect(poor.cash).toBe(0.5);
    expect(poor.open).toHaveLength(0);
    // 99.85 x 1.0005 x 1.001 = 99.999824925 <= 100: the whole quantity fills.
    const rich = new SimAccount(100, costs);
    expect(opened(rich.openAt(buy(1, 99.85), 99.85, T0, 0, 0.01)).open_qty).toBe(1);
  });

  it('positionsView: the live shape, the same frozen object until a fill, rebuilt after one', () => {
    const acct = new SimAccount(10_000, costs);
    const empty = acct.positionsView('BTC/USDT');
    expect(empty).toEqual({ open: [], recent_closed: [] });
    expect(Object.isFrozen(empty)).toBe(true);
    expect(acct.positionsView('BTC/USDT')).toBe(empty);

    const pos = opened(
      acct.openAt(
        order({
          side: 'buy',
          qty: 1,
          entry: 100,
          stop: 95,
          take_profits: [
            { price: 110, fraction: 0.5 },
            { price: 120, fraction: 0.5 },
          ],
        }),
        100,
        T0 + H,
        1,
      ),
    );
    const v1 = acct.positionsView('BTC/USDT');
    expect(v1).not.toBe(empty);
    expect(v1).toEqual({
      open: [
        {
          position_id: 1,
          symbol: 'BTC/USDT',
          side: 'long',
          qty: 1,
          entry: pos.entry_price,
          stop: 95,
          leverage: 1,
          opened_at: new Date(T0 + H).toISOString(),
          take_profits_left: 2,
        },
      ],
      recent_closed: [],
    });
    expect(Object.isFrozen(v1.open[0])).toBe(true);
    // Other markets see every open position (the account's), but only their own closed ones.
    const eth1 = acct.positionsView('ETH/USDT');
    expect(eth1.open).toEqual(v1.open);
    expect(acct.positionsView('BTC/USDT')).toBe(v1);
    expect(acct.positionsView('ETH/USDT')).toBe(eth1);

    // Marking to market is not a fill: the view stays the same object.
    acct.equity(new Map([['BTC/USDT', 105]]));
    expect(acct.positionsView('BTC/USDT')).toBe(v1);

    acct.exit(pos, 'take_profit', 0.5, slippedPrice('sell', 110, costs.slippage), T0 + 2 * H, 2, 0);
    const v2 = acct.positionsView('BTC/USDT');
    expect(v2).not.toBe(v1);
    expect(v2.open[0]).toMatchObject({ qty: 0.5, take_profits_left: 1 });
    expect(v1.open[0]!.qty).toBe(1); // the old view is a snapshot, not changed under a module's feet

    acct.exit(pos, 'end_of_test', 0.5, slippedPrice('sell', 101, costs.slippage), T0 + 3 * H, 3);
    const v3 = acct.positionsView('BTC/USDT');
    expect(v3.open).toEqual([]);
    expect(v3.recent_closed).toEqual([
      {
        position_id: 1,
        symbol: 'BTC/USDT',
        side: 'long',
        entry: pos.entry_price,
        opened_at: new Date(T0 + H).toISOString(),
        closed_at: new Date(T0 + 3 * H).toISOString(),
        realized_pnl: acct.trades[0]!.pnl,
        close_reason: 'close',
      },
    ]);
    expect(acct.positionsView('ETH/USDT')).toEqual({ open: [], recent_closed: [] });

    // A second trade: recent_closed is newest first.
    const p2 = opened(
      acct.openAt(
        order({ side: 'sell', qty: 1, entry: 100, stop: 105, take_profits: [{ price: 90, fraction: 1 }] }),
        100,
        T0 + 4 * H,
        4,
      ),
    );
    acct.exit(p2, 'stop_loss', 1, slippedPrice('buy', 105, costs.slippage), T0 + 5 * H, 5);
    expect(acct.positionsView('BTC/USDT').recent_closed.map((c) => [c.position_id, c.close_reason])).toEqual([
      [2, 'stop_loss'],
      [1, 'close'],
    ]);
  });
});
