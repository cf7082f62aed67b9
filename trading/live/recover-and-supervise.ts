import { logger } from '../../core/logger.ts';
import type { Db } from '../../store/db.ts';
import { isExchangeFault } from './exchange-port.ts';
import type { LiveBroker } from './live-broker.ts';
import type { SupervisedPosition } from './supervise-positions.ts';

/**
 * What the LIVE side does before each run decides, and what `serve` / `schedule run` do
 * between runs (reconcile-service.ts): orders left unsettled are looked up (recover), then
 * open positions are supervised (stops and targets hit, gapped stops closed, unprotected
 * quantity protected). An exchange that cannot be reached stops nothing: it is logged
 * loudly and asked again next time (a run's entries then fail their just-in-time checks).
 * Returns the positions supervised, or null when the exchange could not be reached.
 */
export async function recoverAndSupervise(
  db: Db,
  broker: LiveBroker,
  o: { now: Date; run_id: string | null },
): Promise<SupervisedPosition[] | null> {
  try {
    const recovered = await broker.recover(db);
    const supervised = await broker.supervise(db, o);
    logger.info(
      { run_id: o.run_id, recovered: recovered.length, positions: supervised.length },
      'LIVE orders recovered and positions supervised',
    );
    return supervised;
  } catch (e) {
    if (!isExchangeFault(e)) throw e;
    logger.warn({ run_id: o.run_id, error: e.message }, 'LIVE supervision skipped: the exchange could not be reached');
    return null;
  }
}
