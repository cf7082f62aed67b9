import { parseTimeframe } from '../../market/timeframes.ts';
import type { Db } from '../../store/db.ts';
import { timeStopDue } from '../exit-rules.ts';
import { moveOpenStopToBreakeven } from '../paper/follow-exit-plan.ts';
import { getPosition } from '../positions-repo.ts';
import { tradingTx, type TradingScope } from '../scope.ts';
import type { BookedFill } from './book-fill.ts';
import { cancelProtection } from './cancel-protection.ts';
import { closeLivePosition } from './close-live-position.ts';
import type { ExchangePort, MarketInfo } from './exchange-port.ts';
import { activeProtection } from './protect-position.ts';
import { stopTriggerOf } from './protection-plan.ts';

/**
 * The exit plan's rules (trading/exit-rules.ts) for one open LIVE position, at supervision:
 * - time stop: time_stop_bars bars since the entry and no rung filled -> closed at market
 *   (close-live-position.ts), its client id from the time the stop fell due, so a retry
 *   reuses it;
 * - breakeven: the stop moved to the entry in the database first (STOP_MOVED), then every
 *   protective order whose stop is below it cancelled (cancel-protection.ts). The caller
 *   then protects the position anew at the moved stop, as it protects any position left
 *   without protection: a crash between the cancel and the new orders leaves exactly that,
 *   and the next supervision places them. When the price is already at or below the moved
 *   stop, a stop there would fire at once: the position is closed at market instead.
 */

export type ExitPlanStep = 'stop_moved' | 'protection_cancelled';

export interface ExitPlanOutcome {
  action: 'none' | 'stop_moved' | 'time_stop_closed' | 'breakeven_closed' | 'closed_by_exchange' | 'problem';
  detail: string | null;
  booked: BookedFill[];
}

export async function followExitPlanLive(
  db: Db,
  scope: TradingScope,
  port: ExchangePort,
  positionId: number,
  o: {
    now: Date;
    run_id: string | null;
    market: MarketInfo;
    price: number;
    /** Progress reports, for the tests that kill the process between the steps. */
    onStep?: (step: ExitPlanStep) => void | Promise<void>;
  },
): Promise<ExitPlanOutcome> {
  const none: ExitPlanOutcome = { action: 'none', detail: null, booked: [] };
  const start = await tradingTx(db, scope, (tx) => getPosition(tx, scope, positionId));
  if (!start || start.status !== 'open') return none;
  const close = async (action: ExitPlanOutcome['action'], reason: string, ts: Date): Promise<ExitPlanOutcome> => {
    const r = await closeLivePosition(db, scope, port, positionId, { reason, ts, run_id: o.run_id });
    return { action: r.problem ? 'problem' : action, detail: r.problem, booked: r.booked };
  };
  const stepMs = parseTimeframe(start.timeframe);
  const openedMs = start.opened_at.getTime();
  if (timeStopDue(start, { openedMs, barOpenMs: o.now.getTime() - stepMs, stepMs })) {
    const due = new Date(openedMs + start.time_stop_bars! * stepMs);
    return close('time_stop_closed', `time stop: ${start.time_stop_bars} bars without a take-profit (exit plan)`, due);
  }
  // Recorded before anything is cancelled: from here on the moved stop is what protection means.
  const moved = await tradingTx(db, scope, (tx) =>
    moveOpenStopToBreakeven(tx, scope, positionId, { ts: o.now, run_id: o.run_id }),
  );
  if (!moved) return none;
  if (moved.stop_price !== start.stop_price) await o.onStep?.('stop_moved');
  const trigger = stopTriggerOf(moved.stop_price, o.market.tick_size);
  const active = await tradingTx(db, scope, (tx) => activeProtection(tx, scope, positionId));
  const stale = active.some((x) => x.role === 'stop' && x.stop_price !== null && x.stop_price < trigger);
  if (!stale) return moved.stop_price !== start.stop_price ? { ...none, action: 'stop_moved' } : none;
  if (o.price <= trigger)
    return close(
      'breakeven_closed',
      `the price ${o.price} is already at or below the breakeven stop ${trigger}`,
      o.now,
    );
  const cancelled = await cancelProtection(db, scope, port, positionId, {
    market: o.market,
    price: o.price,
    why: 'replaced by the stop moved to breakeven',
  });
  if (cancelled.problem)
    return {
      action: 'problem',
      detail: `${cancelled.problem}; the stop stays where it was.`,
      booked: cancelled.booked,
    };
  if (cancelled.booked.some((b) => b.closed))
    return { ...none, action: 'closed_by_exchange', booked: cancelled.booked };
  await o.onStep?.('protection_cancelled');
  return { action: 'stop_moved', detail: null, booked: cancelled.booked };
}
