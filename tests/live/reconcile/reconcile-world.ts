import { expect } from 'vitest';
import { z } from 'zod';
import { type BinanceSimulator, startBinanceSimulator } from '../../../simulator/binance-simulator.ts';
import { queryRows } from '../../../store/db.ts';
import { forgetLiveKeys, type LiveKeys, unlockWithPin } from '../../../trading/live-account/unlock.ts';
import { bookOrderFills } from '../../../trading/live/book-fill.ts';
import { openCcxtSpotPort } from '../../../trading/live/ccxt-spot-port.ts';
import { clientOrderId } from '../../../trading/live/client-order-id.ts';
import type { ExchangePort } from '../../../trading/live/exchange-port.ts';
import { submitOrder } from '../../../trading/live/submit-order.ts';
import { Position } from '../../../trading/positions-repo.ts';
import { tradingScope, tradingTx } from '../../../trading/scope.ts';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { initLiveWithPin, liveTestKeys } from '../../helpers/live-exchange.ts';
import { btcMarket, fastPolicy } from '../live-fixtures.ts';

/**
 * A LIVE account on the Binance simulator, made the real way (`live init` with the PIN and
 * test keys, the key opened with the PIN), with the live broker's order core and booking
 * to open a long and protect it with a stop: the world reconciliation tests act in.
 */

export const live = tradingScope('LIVE');
export const pin = 'reconcile-pin-2718';

export interface World {
  db: TestDb;
  sim: BinanceSimulator;
  port: ExchangePort;
  keys: LiveKeys;
  close(): Promise<void>;
}

export async function startWorld(
  kind: 'pglite' | 'postgres',
  market: { stepSize?: number; minQty?: number } = {},
  balances: Record<string, number> = { USDT: 10_000 },
): Promise<World> {
  const sim = await startBinanceSimulator({
    markets: [{ ...btcMarket, ...market }],
    balances,
    ...liveTestKeys,
  });
  const db = await freshDb(kind);
  const env = { ...process.env, TRADER_EXCHANGE_URL_BINANCE: sim.url };
  await initLiveWithPin(
    db,
    { exchange: 'binance', sandbox: false, max_order_notional: 1000, max_daily_notional: 5000, replace: false, env },
    pin,
  );
  const keys = await unlockWithPin(db, { pin: async () => pin });
  const port = await openCcxtSpotPort('binance', {
    credentials: keys.credentials,
    env: { TRADER_EXCHANGE_URL_BINANCE: sim.url },
    policy: fastPolicy,
    timeoutMs: 1500,
  });
  return {
    db,
    sim,
    port,
    keys,
    async close() {
      forgetLiveKeys();
      await sim.close();
      await db.dispose();
    },
  };
}

const id = (leg: string) => clientOrderId({ pipeline: 'trend', symbol: 'BTC/USDT', tick: 1, leg });
export const stopId = id('stop');

/**
 * Buys `qty` BTC at market (the fee in BTC: the simulator's default), books it, and places a
 * stop-loss-limit (stop 59 000, limit 58 900) for what the position owns, rounded down to the step.
 */
export async function openProtectedLong(w: World, qty = 0.01, step = btcMarket.stepSize): Promise<Position> {
  const entry = await submitOrder(w.db, live, w.port, {
    client_order_id: id('entry'),
    symbol: 'BTC/USDT',
    side: 'buy',
    type: 'market',
    role: 'entry',
    qty,
    plan: {
      intent: {
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1h',
        category: 'major',
        side: 'buy',
        qty,
        entry: 60_000,
        stop: 59_000,
        take_profits: [{ price: 70_000, fraction: 1 }],
        leverage: 1,
        risk_amount: 10,
        risk_pct: 0.1,
        notional: qty * 60_000,
      },
      strategy_id: null,
      source_module: null,
      proposal_id: null,
      as_of: new Date().toISOString(),
    },
  });
  expect(entry.order.state).toBe('FILLED');
  const [booked] = await tradingTx(w.db, live, (tx) => bookOrderFills(tx, live, entry.order.client_order_id));
  const position = booked!.position;
  const stopQty = Math.floor(position.open_qty / step + 1e-9) * step;
  const stop = await submitOrder(w.db, live, w.port, {
    client_order_id: stopId,
    symbol: 'BTC/USDT',
    side: 'sell',
    type: 'stop_loss_limit',
    role: 'stop',
    qty: Number(stopQty.toFixed(8)),
    stop_price: 59_000,
    price: 58_900,
    position_id: position.position_id,
  });
  expect(stop.order.state).toBe('NEW');
  return position;
}

export async function positionOf(w: World, positionId: number): Promise<Position> {
  const [p] = await tradingTx(w.db, live, (tx) =>
    queryRows(tx, Position, `select * from ${live.table('positions')} where position_id = $1`, [positionId]),
  );
  return p!;
}

/** The database's wallets equal the exchange's totals (free + locked), asset by asset, to the 8 decimals. */
export async function expectWalletsMatch(w: World): Promise<void> {
  const rows = await tradingTx(w.db, live, (tx) =>
    queryRows(
      tx,
      z.object({ asset: z.string(), balance: z.coerce.number() }),
      `select asset, balance from ${live.table('wallets')}`,
    ),
  );
  const mine = Object.fromEntries(rows.map((r) => [r.asset, r.balance]));
  const theirs = Object.fromEntries(Object.entries(w.sim.balances()).map(([a, b]) => [a, b.free + b.locked]));
  for (const asset of new Set([...Object.keys(mine), ...Object.keys(theirs)]))
    expect(mine[asset] ?? 0, asset).toBeCloseTo(theirs[asset] ?? 0, 8);
}

/** Audit rows of one action type, oldest first, with their details. */
export async function audited(w: World, action: string) {
  return queryRows(
    w.db,
    z.object({ status: z.string(), entity_type: z.string().nullable(), details: z.record(z.string(), z.unknown()) }),
    `select status, entity_type, details from audit_trail where action_type = $1 order by seq`,
    [action],
  );
}
