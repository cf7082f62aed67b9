import { afterEach, describe, expect, it } from 'vitest';
import { upsertCandles } from '../../market/candles-repo.ts';
import type { Queryable } from '../../store/db.ts';
import type { OpenOrder } from '../../trading/broker.ts';
import { prepareTrading } from '../../trading/engine/prepare-trading.ts';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import { markToMarket, portfolioSnapshot } from '../../trading/portfolio.ts';
import { initPaperAccount, quoteBalance } from '../../trading/positions-repo.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { loadState } from '../../trading/state-repo.ts';
import { paperOrder } from '../helpers/paper-order.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * Portfolio valuation, mark-to-market into the state row (only forward in time), and the
 * paper account's initialisation.
 */

const scope = tradingScope('TEST');
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SLIP = 0.0005;
const FEE = 0.001;

const order = (over: Partial<OpenOrder>) => paperOrder({ as_of: new Date(T0), ...over });

async function closes(db: TestDb, symbol: string, values: number[]) {
  await upsertCandles(
    db,
    { exchange: 'binance', symbol, timeframe: '1h' },
    {
      ts: values.map((_, i) => T0 + i * H),
      open: values,
      high: values,
      low: values,
      close: values,
      volume: values.map(() => 1),
    },
  );
}

describe.each(backends)('portfolio on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const tx = <T>(fn: (t: Queryable) => Promise<T>) => tradingTx(db, scope, fn);

  it('values open positions at the newest closed candle: equity = cash + margin + unrealised P&L', async () => {
    db = await freshDb(kind);
    await closes(db, 'BTC/USDT', [100, 104, 106]);
    await closes(db, 'ETH/USDT', [50, 48, 47]);
    const btc = await tx((t) => paperBroker(scope).open(t, order({})));
    const eth = await tx((t) =>
      paperBroker(scope).open(
        t,
        order({ symbol: 'ETH/USDT', category: 'alt', side: 'sell', entry: 50, stop: 55, qty: 20, leverage: 2 }),
      ),
    );
    if (!btc.ok || !eth.ok) throw new Error('open failed');

    // At T0+2h the 1h candle opening at T0+1h (close 104 / 48) is the newest closed one; the 106 / 47 candle is still open.
    const snap = await tx((t) => portfolioSnapshot(t, scope, new Date(T0 + 2 * H)));
    const [b, e] = snap.positions;
    expect(b).toMatchObject({
      symbol: 'BTC/USDT',
      side: 'long',
      last_price: 104,
      price_as_of: new Date(T0 + 2 * H),
      open_qty: 10,
    });
    expect(b!.unrealized_pnl).toBeCloseTo((104 - 100 * (1 + SLIP)) * 10, 9);
    expect(e!.unrealized_pnl).toBeCloseTo((50 * (1 - SLIP) - 48) * 20, 9);
    expect(e!.margin).toBeCloseTo((20 * 50 * (1 - SLIP)) / 2, 9);
    const cash = 10_000 + btc.cash_delta + eth.cash_delta;
    expect(snap.free_balance).toBeCloseTo(cash, 9);
    expect(snap.equity).toBeCloseTo(cash + b!.margin + b!.unrealized_pnl + e!.margin + e!.unrealized_pnl, 9);
    // Equity is what closing at the marks would return, before exit costs: the start minus entry fees plus unrealised P&L.
    expect(snap.equity).toBeCloseTo(10_000 - btc.fee - eth.fee + b!.unrealized_pnl + e!.unrealized_pnl, 9);
    expect(snap.open_risk_by_category.major).toBeCloseTo((100 * (1 + SLIP) - 90) * 10, 9);
    expect(snap.open_risk_by_category.alt).toBeCloseTo((55 - 50 * (1 - SLIP)) * 20, 9);
  });

  it('marks to market: equity and its time recorded, the peak only rises, drawdown measured from it', async () => {
    db = await freshDb(kind);
    await closes(db, 'BTC/USDT', [100, 110, 95]);
    const btc = await tx((t) => paperBroker(scope).open(t, order({ qty: 50 })));
    if (!btc.ok) throw new Error(btc.message);
    const up = await tx((t) => markToMarket(t, scope, new Date(T0 + 2 * H)));
    const upEquity = 10_000 - btc.fee + (110 - btc.fill_price) * 50;
    expect(up.state.equity).toBeCloseTo(upEquity, 9);
    expect(up.state.peak_equity).toBeCloseTo(upEquity, 9);
    expect(up.state.drawdown_pct).toBe(0);
    expect(up.state.equity_as_of).toEqual(new Date(T0 + 2 * H));

    const down = await tx((t) => markToMarket(t, scope, new Date(T0 + 3 * H)));
    const downEquity = 10_000 - btc.fee + (95 - btc.fill_price) * 50;
    expect(down.state.equity).toBeCloseTo(downEquity, 9);
    expect(down.state.peak_equity).toBeCloseTo(upEquity, 9);
    expect(down.state.drawdown_pct).toBeCloseTo(((upEquity - downEquity) / upEquity) * 100, 9);
  });

  it('values a position with no cached candle at its entry', async () => {
    db = await freshDb(kind);
    const r = await tx((t) => paperBroker(scope).open(t, order({})));
    if (!r.ok) throw new Error(r.message);
    const snap = await tx((t) => portfolioSnapshot(t, scope, new Date(T0 + H)));
    expect(snap.positions[0]).toMatchObject({ last_price: null, price_as_of: null, unrealized_pnl: 0 });
    expect(snap.equity).toBeCloseTo(10_000 - 10 * 100 * (1 + SLIP) * FEE, 9);
  });

  describe('marking in time: BTC crashed to 20 before this long was opened at 100 (as of T0 + 4h)', () => {
    const entryAsOf = new Date(T0 + 4 * H);
    async function openLong() {
      db = await freshDb(kind);
      await closes(db, 'BTC/USDT', [20, 20, 100, 100, 100, 104, 101]);
      const opened = await tx((t) => paperBroker(scope).open(t, order({ qty: 50, stop: 10, as_of: entryAsOf })));
      if (!opened.ok) throw new Error(opened.message);
      return opened;
    }

    it('a position is valued at its entry, not at a price from before it existed', async () => {
      const opened = await openLong();
      const early = await tx((t) => portfolioSnapshot(t, scope, new Date(T0 + 2 * H)));
      expect(early.positions[0]).toMatchObject({ last_price: null, price_as_of: null, unrealized_pnl: 0 });
      expect(early.equity).toBeCloseTo(10_000 - opened.fee, 9);
      // The candle closing exactly at the entry is the first that may mark it.
      const atEntry = await tx((t) => portfolioSnapshot(t, scope, entryAsOf));
      expect(atEntry.positions[0]).toMatchObject({ last_price: 100, price_as_of: entryAsOf });
    });

    it('a run as of a time before the entry neither invents a drawdown nor moves the peak back', async () => {
      const opened = await openLong();
      const now = await tx((t) => markToMarket(t, scope, new Date(T0 + 6 * H))); // the 104 candle has closed
      const equity = 10_000 - opened.fee + (104 - opened.fill_price) * 50;
      expect(now.state).toMatchObject({ equity_as_of: new Date(T0 + 6 * H), drawdown_pct: 0 });
      expect(now.state.equity).toBeCloseTo(equity, 9);

      // A run as of T0 + 2h: the crash to 20 was before the position existed, and the recorded mark is newer.
      const prelude = await prepareTrading(db, scope, new Date(T0 + 2 * H), 'past-run');
      expect(prelude.emergency_halt).toBe(false);
      const state = await tx((t) => loadState(t, scope));
      expect(state).toMatchObject({ halted: false, equity_as_of: new Date(T0 + 6 * H), drawdown_pct: 0 });
      expect(state.equity).toBeCloseTo(equity, 9);
      expect(state.peak_equity).toBeCloseTo(now.state.peak_equity, 9);

      // Marks keep moving forward: the 101 close is a real drawdown from the 104 peak.
      const later = await tx((t) => markToMarket(t, scope, new Date(T0 + 7 * H)));
      expect(later.state.peak_equity).toBeCloseTo(equity, 9);
      expect(later.state.drawdown_pct).toBeCloseTo(((104 - 101) * 50 * 100) / equity, 9);
    });
  });

  it('initialises the paper account only while no trade exists, and never in LIVE', async () => {
    db = await freshDb(kind);
    expect(await initPaperAccount(db, scope, 2500)).toEqual({ currency: 'USDT', balance: 2500 });
    const state = await tx((t) => loadState(t, scope));
    expect(state).toMatchObject({ initial_balance: 2500, equity: 2500, peak_equity: 2500, drawdown_pct: 0 });
    expect((await tx((t) => quoteBalance(t, scope))).balance).toBe(2500);
    const [audit] = await db.query<{ actor: string; action_type: string; details: Record<string, unknown> }>(
      'select actor, action_type, details from audit_trail',
    );
    expect(audit).toMatchObject({
      actor: 'USER',
      action_type: 'PAPER_ACCOUNT_INITIALISED',
      details: { balance: 2500, previous_balance: 10_000 },
    });

    await expect(initPaperAccount(db, tradingScope('LIVE'), 1000)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(initPaperAccount(db, scope, -5)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await tx((t) => paperBroker(scope).open(t, order({ qty: 1 })));
    await expect(initPaperAccount(db, scope, 5000)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('1 trades'),
    });
    expect((await tx((t) => loadState(t, scope))).initial_balance).toBe(2500);
  });
});
