import { z } from 'zod';
import type { Queryable } from '../store/db.ts';
import { exitRuleFields } from './exit-rules.ts';

/**
 * What executes orders for one system mode. The paper broker (trading/paper/) simulates
 * fills against cached candles; a live broker will place the same orders on an
 * exchange. Both write through the caller's transaction, so an order and the state it
 * came from (a proposal, a run) change together or not at all.
 */

const positive = z.number().finite().positive();

export const TakeProfitOrder = z.object({
  price: positive,
  /** Share of the ORIGINAL quantity this rung closes; the last rung closes whatever is left. */
  fraction: z.number().finite().gt(0).lte(1),
});
export type TakeProfitOrder = z.infer<typeof TakeProfitOrder>;

export const OpenOrder = z.object({
  exchange: z.string().min(1),
  symbol: z.string().min(1),
  /** The candles the position is monitored on. */
  timeframe: z.string().min(1),
  category: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  /** Already rounded to the market's amount precision by the caller. */
  qty: positive,
  /** Reference price (the decision candle's close); the fill adds slippage. */
  entry: positive,
  stop: positive,
  /** In ladder order, nearest first. */
  take_profits: z.array(TakeProfitOrder),
  leverage: z.number().finite().gte(1),
  risk_amount: z.number().finite().nonnegative(),
  risk_pct: z.number().finite().nonnegative(),
  ...exitRuleFields,
  strategy_id: z.string().nullable(),
  strategy_version: z.number().int().positive().nullable(),
  source_module: z.string().nullable(),
  run_id: z.string().uuid().nullable(),
  proposal_id: z.number().int().positive().nullable(),
  /** Decision time; only candles opening at or after it can trigger the stop or a take-profit. */
  as_of: z.date(),
});
export type OpenOrder = z.infer<typeof OpenOrder>;

/** Why an order was not executed: a result, not an error (the market or the wallet said no). */
export const OpenRefusal = z.enum(['insufficient_funds', 'position_already_open', 'not_supported', 'exchange_refused']);
export type OpenRefusal = z.infer<typeof OpenRefusal>;

export type OpenResult =
  | {
      ok: true;
      position_id: number;
      trade_id: number;
      fill_price: number;
      fee: number;
      margin: number;
      cash_delta: number;
    }
  | { ok: false; reason: OpenRefusal; message: string };

export const CloseKind = z.enum(['close', 'emergency_close']);
export type CloseKind = z.infer<typeof CloseKind>;

export interface CloseRequest {
  /** Reference price; the fill adds slippage. */
  price: number;
  ts: Date;
  kind: CloseKind;
  run_id: string | null;
}

/** One executed exit (a stop, a take-profit rung or a close). */
export interface FillEvent {
  position_id: number;
  trade_id: number;
  symbol: string;
  kind: 'stop_loss' | 'take_profit' | CloseKind;
  side: 'buy' | 'sell';
  qty: number;
  price: number;
  fee: number;
  realized_pnl: number;
  cash_delta: number;
  ts: Date;
  /** True when this fill left the position closed. */
  closed: boolean;
}

export interface Broker {
  open(tx: Queryable, order: OpenOrder): Promise<OpenResult>;
  /** Market-closes all that is left of an open position. */
  close(tx: Queryable, positionId: number, request: CloseRequest): Promise<FillEvent>;
}
