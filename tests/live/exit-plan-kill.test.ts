import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.ts';
import type { Db } from '../../store/db.ts';
import { openDb } from '../../store/open.ts';
import { liveBrokerFor } from '../../trading/broker-for.ts';
import type { ExitPlanStep } from '../../trading/live/follow-exit-plan-live.ts';
import type { LiveBroker } from '../../trading/live/live-broker.ts';
import { activeProtection } from '../../trading/live/protect-position.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { cliBackends } from '../helpers/cli.ts';
import { killChildAt, killSuite } from './kill-child.ts';
import { liveOrder, liveSetupSql, simPort } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const child = path.join(packageRoot, 'tests/fixtures/scripts/supervise-child.ts');
const run_id = '00000000-0000-4000-8000-0000000000e2';

/**
 * kill -9 while the stop of a LIVE position moves to breakeven (follow-exit-plan-live.ts):
 * after the database recorded the moved stop, and after the old protection was cancelled on
 * the exchange but before the new one was placed. On PGlite and Postgres, the next supervision
 * leaves the position protected at the moved stop for all that is left, once, with no client
 * order id used twice on the exchange.
 */
describe.each(cliBackends)('kill -9 while the stop moves to breakeven, then restart (%s)', (kind) => {
  const s = killSuite(kind, liveSetupSql(run_id));

  const open = async (): Promise<{ db: Db; broker: LiveBroker }> => {
    const db = (s.db = await openDb({ env: s.t.env }));
    return { db, broker: await liveBrokerFor(db, { port: await simPort(s.sim) }) };
  };

  it.each<ExitPlanStep>(['stop_moved', 'protection_cancelled'])(
    'killed at %s',
    async (step) => {
      // A long of 0.01 at 60 000 with two rungs; the first fills, so the stop of the rest is due to move to 60 000.
      const { db, broker } = await open();
      const sim = s.sim;
      const order = liveOrder(run_id, {
        take_profits: [
          { price: 61_000, fraction: 0.5 },
          { price: 63_000, fraction: 0.5 },
        ],
        breakeven_after_tp: 1,
      });
      const queued = await tradingTx(db, scope, (tx) => broker.open(tx, order));
      if (!queued.ok) throw new Error(queued.message);
      await broker.send(db, queued.client_order_id);
      sim.setPrice('BTC/USDT', 61_500);
      await db.close();
      s.db = undefined;

      await killChildAt(child, [sim.url], s.t.env, step);
      if (step === 'protection_cancelled') expect(sim.openOrders()).toEqual([]); // the position is bare on the exchange

      const again = await open();
      const [report] = await again.broker.supervise(again.db, { now: new Date(), run_id: null });
      expect(report!.action).not.toBe('problem');
      const stops = sim.openOrders().filter((o) => o.type === 'STOP_LOSS_LIMIT');
      expect(stops.map((o) => [o.origQty, o.stopPrice])).toEqual([[0.005, 60_000]]);
      const ids = sim.orders().map((o) => o.clientOrderId);
      expect(new Set(ids).size).toBe(ids.length);
      // The database knows exactly what rests on the exchange.
      const [pos] = await again.db.query<{ position_id: number; stop_price: string }>(
        'select position_id, stop_price from trading_live.positions',
      );
      expect(Number(pos!.stop_price)).toBe(60_000);
      const active = await tradingTx(again.db, scope, (tx) => activeProtection(tx, scope, pos!.position_id));
      expect(active.map((o) => o.client_order_id).sort()).toEqual(
        sim
          .openOrders()
          .map((o) => o.clientOrderId)
          .sort(),
      );
      // One STOP_MOVED: the move recorded before the kill is not made twice.
      const moved = await again.db.query('select 1 from audit_trail where action_type = $1', ['STOP_MOVED']);
      expect(moved).toHaveLength(1);
    },
    60_000,
  );
});
