import { z } from 'zod';
import { soundCandleSql } from '../../market/candle-rules.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import { queryRows, type Queryable } from '../../store/db.ts';
import type { FillEvent } from '../broker.ts';
import { listOpenPositions, type Position } from '../positions-repo.ts';
import type { TradingScope } from '../scope.ts';
import { TIME_STOP_REASON, timeStopDue } from '../exit-rules.ts';
import { applyExit } from './apply-exit.ts';
import { candleExits } from './candle-exits.ts';
import { exitOrderSide, slippedPrice } from './fill-model.ts';
import { moveStopToBreakeven } from './follow-exit-plan.ts';
import { lockWallet, paperContext, setCheckedThrough, type PaperContext } from './paper-ledger.ts';

const num = z.coerce.number();
const CandleRow = z.object({ ts: num, open: num, high: num, low: num, close: num });

/**
 * Candles of the position's market opening after `checked_through` and closed by `asOf`,
 * oldest first. Open times cross the driver boundary as ms numbers. A candle with unsound
 * values (stored before the table refused them) is passed over: a zero low would fill a
 * stop that was never touched.
 */
async function unprocessedCandles(tx: Queryable, pos: Position, stepMs: number, asOf: Date) {
  return queryRows(
    tx,
    CandleRow,
    `select (extract(epoch from ts) * 1000)::int8 as ts, open, high, low, close from candles
     where exchange = $1 and symbol = $2 and timeframe = $3 and ts > $4::timestamptz
       and ts <= timestamptz 'epoch' + ($5::float8 - $6::float8) * interval '1 millisecond'
       and ${soundCandleSql()}
     order by ts`,
    [pos.exchange, pos.symbol, pos.timeframe, pos.checked_through, asOf.getTime(), stepMs],
  );
}

async function monitorOne(
  tx: Queryable,
  ctx: PaperContext,
  start: Position,
  asOf: Date,
  runId: string | null,
): Promise<FillEvent[]> {
  const stepMs = parseTimeframe(start.timeframe);
  const fills: FillEvent[] = [];
  let pos = start;
  let lastOpen: number | null = null;
  for (const candle of await unprocessedCandles(tx, pos, stepMs, asOf)) {
    lastOpen = candle.ts;
    // A fill inside a candle happened at an unknown moment; its close time is the earliest we know it by.
    const ts = new Date(candle.ts + stepMs);
    // The breakeven rule acts from the candle after the rung that triggered it (0: from the first).
    pos = await moveStopToBreakeven(tx, ctx.scope, pos, {
      ts: new Date(candle.ts),
      run_id: runId,
      risk_profile: ctx.riskProfile,
    });
    for (const exit of candleExits(pos, candle, ctx.costs.slippage)) {
      const done = await applyExit(tx, ctx, pos, { ...exit, ts, run_id: runId });
      pos = done.position;
      fills.push(done.fill);
      if (pos.status === 'closed') break;
    }
    if (pos.status === 'closed') break;
    if (timeStopDue(pos, { openedMs: pos.opened_at.getTime(), barOpenMs: candle.ts, stepMs })) {
      const price = slippedPrice(exitOrderSide(pos.side), candle.close, ctx.costs.slippage);
      const order = { kind: 'close' as const, qty: pos.open_qty, price, rung: null, reason: TIME_STOP_REASON };
      const done = await applyExit(tx, ctx, pos, { ...order, ts, run_id: runId });
      fills.push(done.fill);
      break;
    }
  }
  if (lastOpen !== null) await setCheckedThrough(tx, ctx.scope, pos.position_id, new Date(lastOpen));
  return fills;
}

/**
 * Fills the stops and take-profits of every open TEST position against the candles
 * closed since it was last checked, in time order (rules in candle-exits.ts), and applies
 * the exit plan's rules (exit-rules.ts): the stop moved to breakeven before a candle, the
 * time stop closing at a candle's close. Each
 * candle is processed exactly once: checked_through moves to the last one processed,
 * so running the monitor again for the same `asOf` does nothing.
 */
export async function monitorPositions(
  tx: Queryable,
  scope: TradingScope,
  asOf: Date,
  run_id: string | null = null,
): Promise<FillEvent[]> {
  const ctx = await paperContext(tx, scope);
  await lockWallet(tx, ctx);
  const fills: FillEvent[] = [];
  for (const pos of await listOpenPositions(tx, scope, { forUpdate: true })) {
    fills.push(...(await monitorOne(tx, ctx, pos, asOf, run_id)));
  }
  return fills;
}
