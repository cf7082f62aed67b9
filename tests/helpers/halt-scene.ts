import { upsertCandles } from '../../market/candles-repo.ts';
import type { Db } from '../../store/db.ts';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import type { HaltAction } from '../../trading/state-repo.ts';
import { paperOrder } from './paper-order.ts';

const scope = tradingScope('TEST');
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** A time after the scene's candle, to price its position. */
export const haltSceneAsOf = new Date(T0 + 2 * H);

/**
 * The paper account an emergency halt meets: the medium profile (limit 20%), a drawdown of
 * `drawdown`% from a peak of 10 000, `action` as the emergency halt action (acknowledged when
 * it closes all), two pending proposals and one open BTC position of 10 at 100 with a
 * candle (close 96) to price it.
 */
export async function seedHaltScene(db: Db, action: HaltAction, drawdown: number): Promise<void> {
  await upsertCandles(
    db,
    { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    { ts: [T0], open: [100], high: [101], low: [95], close: [96], volume: [1] },
  );
  await tradingTx(db, scope, async (t) => {
    const opened = await paperBroker(scope).open(t, paperOrder());
    if (!opened.ok) throw new Error(opened.message);
    for (const symbol of ['ETH/USDT', 'SOL/USDT']) {
      await t.query(
        `insert into trading_test.proposals (expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of)
         values (now() + interval '1 hour', 'binance', $1, 'buy', 1, 100, 90, 1, 1, 100, 0, '{}'::jsonb, now())`,
        [symbol],
      );
    }
    await t.query(
      `update trading_test.state set equity = $1, peak_equity = 10000, drawdown_pct = $2, emergency_halt_action = $3,
      close_all_acknowledged_at = case when $3 = 'MARKET_CLOSE_ALL_AND_HALT' then now() end`,
      [10_000 * (1 - drawdown / 100), drawdown, action],
    );
  });
}
