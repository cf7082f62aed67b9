import { afterEach, describe, expect, it } from 'vitest';
import { upsertCandles } from '../../market/candles-repo.ts';
import type { OpenOrder } from '../../trading/broker.ts';
import { closeAllPositions, paperBroker } from '../../trading/paper/paper-broker.ts';
import { monitorPositions } from '../../trading/paper/position-monitor.ts';
import {
  listOpenPositions,
  listTrades,
  quoteBalance,
  walletLedgerCheck,
  type Position,
} from '../../trading/positions-repo.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import type { Queryable } from '../../store/db.ts';
import { paperOrder } from '../helpers/paper-order.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/** Paper broker and position monitor, on both backends, with the default costs: fee 10 bps, slippage 5 bps. */

const scope = tradingScope('TEST');
const broker = paperBroker(scope);
const FEE = 0.001;
const SLIP = 0.0005;
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const at = (hours: number) => new Date(T0 + hours * H);
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

const order = (over: Partial<OpenOrder> = {}): OpenOrder =>
  paperOrder({ ...market, strategy_id: 'test', source_module: 'test_v1', as_of: at(0), ...over });

/** Hourly candles [open, high, low, close], the first opening at `startHour`. */
async function candles(db: TestDb, rows: [number, number, number, number][], startHour = 0, symbol = market.symbol) {
  await upsertCandles(
    db,
    { ...market, symbol },
    {
      ts: rows.map((_, i) => T0 + (startHour + i) * H),
      open: rows.map((r) => r[0]),
      high: rows.map((r) => r[1]),
      low: rows.map((r) => r[2]),
      close: rows.map((r) => r[3]),
      volume: rows.map(() => 1),
    },
  );
}

describe.each(backends)('paper broker and position monitor on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const tx = <T>(fn: (t: Queryable) => Promise<T>) => tradingTx(db, scope, fn);
  const audits = async () =>
    db.query<{ action_type: string; details: Record<string, unknown> }>(
      'select action_type, details from audit_trail order by seq',
    );
  const position = async (id: number) =>
    (await db.query<Position>(`select * from trading_test.positions where position_id = $1`, [id]))[0]!;
  const expectLedgerReconciles = async () =>
    expect((await tx((t) => walletLedgerCheck(t, scope))).reconciles).toBe(true);

  it('opens a long: buy fill with slippage, fee and margin taken from the wallet, one entry trade, audited', async () => {
    db = await freshDb(kind);
    const r = await tx((t) => broker.open(t, order({ take_profits: [{ price: 120, fraction: 1 }] })));
    if (!r.ok) throw new Error(r.message);
    const fill = 100 * (1 + SLIP);
    expect(r.fill_price).toBeCloseTo(fill, 12);
    expect(r.fee).toBeCloseTo(10 * fill * FEE, 12);
    expect(r.margin).toBeCloseTo(10 * fill, 12);
    expect(r.cash_delta).toBeCloseTo(-(10 * fill * (1 + FEE)), 12);
    expect((await tx((t) => quoteBalance(t, scope))).balance).toBeCloseTo(10_000 - 10 * fill * (1 + FEE), 9);
    const [trade] = await tx((t) => listTrades(t, scope, { limit: 10 }));
    expect(trade).toMatchObject({
      kind: 'entry',
      side: 'buy',
      qty: 10,
      fee_asset: 'USDT',
      realized_pnl: 0,
      position_id: r.position_id,
    });
    const [pos] = await tx((t) => listOpenPositions(t, scope));
    expect(pos).toMatchObject({
      side: 'long',
      qty: 10,
      open_qty: 10,
      stop_price: 90,
      leverage: 1,
      take_profits: [{ price: 120, fraction: 1, filled_at: null }],
    });
    expect(pos!.entry_price).toBeCloseTo(fill, 12);
    expect(pos!.checked_through.getTime()).toBe(T0 - 1);
    const [audit] = await audits();
    expect(audit).toMatchObject({
      action_type: 'TRADE_EXECUTED',
      details: { symbol: 'BTC/USDT', side: 'buy', qty: 10, leverage: 1, position_id: r.position_id },
    });
    await expectLedgerReconciles();
  });

  it('opens a leveraged short: sell fill below the reference, margin is notional / leverage', async () => {
    db = await freshDb(kind);
    const r = await tx((t) => broker.open(t, order({ side: 'sell', stop: 110, leverage: 4 })));
    if (!r.ok) throw new Error(r.message);
    const fill = 100 * (1 - SLIP);
    expect(r.fill_price).toBeCloseTo(fill, 12);
    expect(r.margin).toBeCloseTo((10 * fill) / 4, 12);
    expect(r.cash_delta).toBeCloseTo(-((10 * fill) / 4 + 10 * fill * FEE), 12);
    expect((await tx((t) => listOpenPositions(t, scope)))[0]!.side).toBe('short');
  });

  it('refuses an order the wallet cannot pay, writing nothing', async () => {
    db = await freshDb(kind);
    const r = await tx((t) => broker.open(t, order({ qty: 99.9 })));
    expect(r).toMatchObject({ ok: false, reason: 'insufficient_funds' });
    expect(await db.query('select * from trading_test.trades')).toEqual([]);
    expect(await db.query('select * from trading_test.positions')).toEqual([]);
    expect(await audits()).toEqual([]);
    expect((await tx((t) => quoteBalance(t, scope))).balance).toBe(10_000);
  });

  it('refuses a second position in the same market, and malformed orders', async () => {
    db = await freshDb(kind);
    expect((await tx((t) => broker.open(t, order()))).ok).toBe(true);
    expect(await tx((t) => broker.open(t, order({ qty: 1 })))).toMatchObject({
      ok: false,
      reason: 'position_already_open',
    });
    await expect(tx((t) => broker.open(t, order({ symbol: 'ETH/USDT', stop: 101 })))).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(
      tx((t) =>
        broker.open(
          t,
          order({
            symbol: 'ETH/USDT',
            take_profits: [
              { price: 120, fraction: 0.5 },
              { price: 110, fraction: 0.5 },
            ],
          }),
        ),
      ),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(
      tradingTx(db, tradingScope('LIVE'), (t) =>
        paperBroker(tradingScope('LIVE')).open(t, order({ symbol: 'ETH/USDT' })),
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('stops a long at the stop minus slippage, realising the loss from the entry fill', async () => {
    db = await freshDb(kind);
    await candles(db, [
      [100, 101, 95, 96],
      [96, 97, 89, 91],
      [91, 92, 80, 85],
    ]);
    const r = await tx((t) => broker.open(t, order()));
    if (!r.ok) throw new Error(r.message);
    const fills = await tx((t) => monitorPositions(t, scope, at(3)));
    const exit = 90 * (1 - SLIP);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ kind: 'stop_loss', side: 'sell', qty: 10, closed: true, ts: at(2) });
    expect(fills[0]!.price).toBeCloseTo(exit, 12);
    expect(fills[0]!.realized_pnl).toBeCloseTo((exit - r.fill_price) * 10, 9);
    expect(fills[0]!.cash_delta).toBeCloseTo(r.margin + (exit - r.fill_price) * 10 - 10 * exit * FEE, 9);
    const pos = await position(r.position_id);
    expect(pos).toMatchObject({ status: 'closed', close_reason: 'stop_loss', closed_at: at(2) });
    expect(Number(pos.open_qty)).toBe(0);
    expect(Number(pos.margin)).toBe(0);
    expect(Number(pos.fees_paid)).toBeCloseTo(r.fee + 10 * exit * FEE, 9);
    expect((await tx((t) => quoteBalance(t, scope))).balance).toBeCloseTo(
      10_000 + r.cash_delta + fills[0]!.cash_delta,
      9,
    );
    expect((await audits()).map((a) => a.action_type)).toEqual(['TRADE_EXECUTED', 'POSITION_STOPPED']);
    await expectLedgerReconciles();
  });

  it('fills a stop that the market gaps through at the open, not at the stop', async () => {
    db = await freshDb(kind);
    await candles(db, [
      [100, 101, 95, 96],
      [85, 87, 80, 86],
    ]);
    await tx((t) => broker.open(t, order()));
    const [fill] = await tx((t) => monitorPositions(t, scope, at(2)));
    expect(fill!.price).toBeCloseTo(85 * (1 - SLIP), 12);
  });

  it('stops a short when the high reaches the stop, buying at max(open, stop) plus slippage', async () => {
    db = await freshDb(kind);
    await candles(db, [
      [100, 104, 99, 103],
      [112, 113, 111, 112],
    ]);
    await tx((t) => broker.open(t, order({ side: 'sell', stop: 105 })));
    const [fill] = await tx((t) => monitorPositions(t, scope, at(2)));
    expect(fill).toMatchObject({ kind: 'stop_loss', side: 'buy', ts: at(2) });
    expect(fill!.price).toBeCloseTo(112 * (1 + SLIP), 12);
  });

  it('fills a take-profit ladder in order by fractions of the original quantity, then stops the remainder', async () => {
    db = await freshDb(kind);
    const ladder = [
      { price: 110, fraction: 0.5 },
      { price: 120, fraction: 0.25 },
      { price: 130, fraction: 0.25 },
    ];
    // h0 reaches 110; h1 gaps open above 120 (limit fills at the better open); h2 falls through the stop.
    await candles(db, [
      [100, 111, 99, 108],
      [121, 125, 119, 122],
      [122, 123, 88, 89],
    ]);
    const r = await tx((t) => broker.open(t, order({ take_profits: ladder })));
    if (!r.ok) throw new Error(r.message);
    const fills = await tx((t) => monitorPositions(t, scope, at(3)));
    expect(fills.map((f) => [f.kind, f.qty, f.closed])).toEqual([
      ['take_profit', 5, false],
      ['take_profit', 2.5, false],
      ['stop_loss', 2.5, true],
    ]);
    const prices = [110 * (1 - SLIP), 121 * (1 - SLIP), 90 * (1 - SLIP)];
    fills.forEach((f, i) => expect(f.price).toBeCloseTo(prices[i]!, 12));
    // Margin is released in proportion to the quantity each exit closes.
    const released = [r.margin * 0.5, r.margin * 0.25, r.margin * 0.25];
    fills.forEach((f, i) =>
      expect(f.cash_delta).toBeCloseTo(released[i]! + (f.price - r.fill_price) * f.qty - f.qty * f.price * FEE, 9),
    );
    const pos = await position(r.position_id);
    expect(pos.take_profits.map((tp) => tp.filled_at)).toEqual([at(1).toISOString(), at(2).toISOString(), null]);
    expect(pos).toMatchObject({ status: 'closed', close_reason: 'stop_loss' });
    expect(Number(pos.realized_pnl)).toBeCloseTo(
      fills.reduce((s, f) => s + f.realized_pnl, 0),
      9,
    );
    expect((await audits()).map((a) => a.action_type)).toEqual([
      'TRADE_EXECUTED',
      'TAKE_PROFIT_FILLED',
      'TAKE_PROFIT_FILLED',
      'POSITION_STOPPED',
    ]);
    await expectLedgerReconciles();
  });

  it('closes the whole position on the last rung and takes several rungs in one candle', async () => {
    db = await freshDb(kind);
    await candles(db, [[100, 125, 99, 124]]);
    await tx((t) =>
      broker.open(
        t,
        order({
          side: 'buy',
          take_profits: [
            { price: 110, fraction: 0.3 },
            { price: 120, fraction: 0.7 },
          ],
        }),
      ),
    );
    const fills = await tx((t) => monitorPositions(t, scope, at(1)));
    expect(fills.map((f) => [f.kind, f.qty, f.closed])).toEqual([
      ['take_profit', 3, false],
      ['take_profit', 7, true],
    ]);
    expect(await tx((t) => listOpenPositions(t, scope))).toEqual([]);
  });

  it('takes the stop when one candle touches both the stop and a take-profit', async () => {
    db = await freshDb(kind);
    await candles(db, [[100, 115, 85, 100]]);
    await tx((t) => broker.open(t, order({ take_profits: [{ price: 110, fraction: 1 }] })));
    const fills = await tx((t) => monitorPositions(t, scope, at(1)));
    expect(fills.map((f) => [f.kind, f.qty])).toEqual([['stop_loss', 10]]);
    expect(fills[0]!.price).toBeCloseTo(90 * (1 - SLIP), 12);
  });

  it('sees only candles opening at or after the entry and closed by asOf, and never processes a candle twice', async () => {
    db = await freshDb(kind);
    // h-1 would stop the long but opened before the entry; h1 hits the first rung; h2 the second.
    await candles(
      db,
      [
        [100, 100, 50, 100],
        [100, 101, 99, 100],
        [100, 111, 99, 105],
        [105, 121, 104, 120],
      ],
      -1,
    );
    const r = await tx((t) =>
      broker.open(
        t,
        order({
          take_profits: [
            { price: 110, fraction: 0.5 },
            { price: 120, fraction: 0.5 },
          ],
        }),
      ),
    );
    if (!r.ok) throw new Error(r.message);
    expect(await tx((t) => monitorPositions(t, scope, new Date(T0 + 2 * H - 1)))).toEqual([]); // h1 not closed yet
    expect((await position(r.position_id)).checked_through.getTime()).toBe(T0);
    const first = await tx((t) => monitorPositions(t, scope, at(2)));
    expect(first.map((f) => f.qty)).toEqual([5]);
    expect(await tx((t) => monitorPositions(t, scope, at(2)))).toEqual([]);
    expect((await tx((t) => listTrades(t, scope, { limit: 10 }))).length).toBe(2);
    const second = await tx((t) => monitorPositions(t, scope, at(3)));
    expect(second.map((f) => [f.qty, f.closed])).toEqual([[5, true]]);
    await expectLedgerReconciles();
  });

  it('floors a leveraged loss at the position margin (isolated margin), so the wallet never goes negative', async () => {
    db = await freshDb(kind);
    // A 5x long whose stop the market gaps 40% through: the raw loss is twice the margin.
    await candles(db, [[60, 61, 55, 58]]);
    const r = await tx((t) => broker.open(t, order({ qty: 480, leverage: 5, stop: 95 })));
    if (!r.ok) throw new Error(r.message);
    const [fill] = await tx((t) => monitorPositions(t, scope, at(1)));
    expect(fill!.cash_delta).toBe(0);
    expect(fill!.realized_pnl).toBeCloseTo(fill!.fee - r.margin, 9);
    expect((await tx((t) => quoteBalance(t, scope))).balance).toBeCloseTo(10_000 + r.cash_delta, 9);
    await expectLedgerReconciles();
  });

  it('closes one position on request and every open position in an emergency at the last close, with slippage', async () => {
    db = await freshDb(kind);
    await candles(db, [
      [100, 102, 98, 101],
      [101, 103, 100, 102],
    ]);
    await candles(
      db,
      [
        [50, 51, 49, 50],
        [50, 51, 48, 49],
      ],
      0,
      'ETH/USDT',
    );
    const btc = await tx((t) => broker.open(t, order()));
    const eth = await tx((t) =>
      broker.open(t, order({ symbol: 'ETH/USDT', side: 'sell', entry: 50, stop: 55, qty: 20 })),
    );
    const sol = await tx((t) => broker.open(t, order({ symbol: 'SOL/USDT', entry: 20, stop: 18, qty: 5 })));
    if (!btc.ok || !eth.ok || !sol.ok) throw new Error('open failed');
    const manual = await tx((t) =>
      broker.close(t, sol.position_id, { price: 21, ts: at(1), kind: 'close', run_id: null }),
    );
    expect(manual).toMatchObject({ kind: 'close', closed: true, qty: 5 });
    expect(manual.price).toBeCloseTo(21 * (1 - SLIP), 12);
    await expect(
      tx((t) => broker.close(t, sol.position_id, { price: 21, ts: at(1), kind: 'close', run_id: null })),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const result = await tx((t) => closeAllPositions(t, scope, at(2)));
    expect(result).toEqual({ closed: 2, skipped: [] });
    const trades = await tx((t) => listTrades(t, scope, { limit: 10 }));
    const emergency = trades.filter((t) => t.kind === 'emergency_close');
    expect(emergency.map((t) => [t.symbol, t.side, t.qty]).sort()).toEqual([
      ['BTC/USDT', 'sell', 10],
      ['ETH/USDT', 'buy', 20],
    ]);
    expect(emergency.find((t) => t.symbol === 'BTC/USDT')!.price).toBeCloseTo(102 * (1 - SLIP), 9);
    expect(emergency.find((t) => t.symbol === 'ETH/USDT')!.price).toBeCloseTo(49 * (1 + SLIP), 9);
    expect(await tx((t) => listOpenPositions(t, scope))).toEqual([]);
    expect((await audits()).filter((a) => a.action_type === 'POSITION_CLOSED')).toHaveLength(3);
    await expectLedgerReconciles();
  });
});
