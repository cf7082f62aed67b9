import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { queryRows, type Db, type Queryable } from '../store/db.ts';
import { recordAudit } from './audit/audit-log.ts';
import { tradingTx, type TradingScope } from './scope.ts';
import { loadState, updateState } from './state-repo.ts';

/** Positions, trades and the quote wallet of one system mode. Every function runs in the caller's trading transaction. */

/** numeric (and, on postgres.js, int8) columns arrive as strings. */
const num = z.coerce.number();

/** A take-profit rung as stored in positions.take_profits: the order's rung plus when it filled. */
export const TakeProfitRung = z.object({ price: z.number(), fraction: z.number(), filled_at: z.string().nullable() });
export type TakeProfitRung = z.infer<typeof TakeProfitRung>;

export const Position = z.object({
  position_id: num,
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  category: z.string(),
  side: z.enum(['long', 'short']),
  qty: num,
  open_qty: num,
  /** The entry FILL price (slippage included): P&L is measured from it. */
  entry_price: num,
  stop_price: num,
  take_profits: z.array(TakeProfitRung),
  /** The exit plan's rules (trading/exit-rules.ts); null = off. stop_price is the current stop, moved by the breakeven rule. */
  breakeven_after_tp: z.number().int().nullable(),
  time_stop_bars: z.number().int().nullable(),
  leverage: num,
  /** Margin still locked by the open quantity. */
  margin: num,
  risk_amount: num,
  risk_pct: num,
  status: z.enum(['open', 'closed']),
  opened_at: z.date(),
  /** Open time of the last candle the monitor processed (just before opened_at until then). */
  checked_through: z.date(),
  closed_at: z.date().nullable(),
  close_reason: z.string().nullable(),
  /** Sum of the exits' realised P&L, before fees. */
  realized_pnl: num,
  /** Entry and exit fees. */
  fees_paid: num,
  strategy_id: z.string().nullable(),
  /** The strategy version that opened it (the optimiser's live feedback); null: the strategy's rows as configured. */
  strategy_version: z.number().int().nullable(),
  source_module: z.string().nullable(),
  run_id: z.string().nullable(),
  proposal_id: num.nullable(),
});
export type Position = z.infer<typeof Position>;

export const Trade = z.object({
  trade_id: num,
  position_id: num,
  ts: z.date(),
  exchange: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  kind: z.enum(['entry', 'stop_loss', 'take_profit', 'close', 'emergency_close']),
  qty: num,
  price: num,
  fee: num,
  fee_asset: z.string(),
  cash_delta: num,
  realized_pnl: num,
  run_id: z.string().nullable(),
});
export type Trade = z.infer<typeof Trade>;

export interface TradeRow {
  position_id: number;
  ts: Date;
  exchange: string;
  symbol: string;
  side: 'buy' | 'sell';
  kind: Trade['kind'];
  qty: number;
  price: number;
  fee: number;
  fee_asset: string;
  cash_delta: number;
  realized_pnl: number;
  run_id: string | null;
  /** The exchange's trade id of a booked LIVE fill; null on paper. */
  exchange_trade_id: string | null;
}

/** Appends a trade; null when a trade with the same exchange trade id is already booked. */
export async function insertTradeRow(q: Queryable, scope: TradingScope, t: TradeRow): Promise<Trade | null> {
  const [row] = await queryRows(
    q,
    Trade,
    `insert into ${scope.table('trades')} (position_id, ts, exchange, symbol, side, kind, qty, price, fee, fee_asset,
       cash_delta, realized_pnl, run_id, exchange_trade_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     on conflict (exchange, exchange_trade_id) where exchange_trade_id is not null do nothing returning *`,
    [
      t.position_id,
      t.ts,
      t.exchange,
      t.symbol,
      t.side,
      t.kind,
      t.qty,
      t.price,
      t.fee,
      t.fee_asset,
      t.cash_delta,
      t.realized_pnl,
      t.run_id,
      t.exchange_trade_id,
    ],
  );
  return row ?? null;
}

export async function listOpenPositions(
  q: Queryable,
  scope: TradingScope,
  options: { forUpdate?: boolean } = {},
): Promise<Position[]> {
  return queryRows(
    q,
    Position,
    `select * from ${scope.table('positions')} where status = 'open' order by position_id${options.forUpdate ? ' for update' : ''}`,
  );
}

export async function listClosedPositions(q: Queryable, scope: TradingScope, limit: number): Promise<Position[]> {
  return queryRows(
    q,
    Position,
    `select * from ${scope.table('positions')} where status = 'closed' order by closed_at desc, position_id desc limit $1`,
    [limit],
  );
}

/** One market's positions closed by `asOf`, newest first: what modules see of recent history (no look-ahead). */
export async function recentClosedPositions(
  q: Queryable,
  scope: TradingScope,
  o: { exchange: string; symbol: string; asOf: Date; limit: number },
): Promise<Position[]> {
  return queryRows(
    q,
    Position,
    `select * from ${scope.table('positions')} where status = 'closed' and exchange = $1 and symbol = $2 and closed_at <= $3 order by closed_at desc, position_id desc limit $4`,
    [o.exchange, o.symbol, o.asOf, o.limit],
  );
}

/** An open position, locked for this transaction; NOT_FOUND when it does not exist or is already closed. */
/** One position of the scope, open or closed, or undefined when there is none with that id. */
export async function getPosition(
  q: Queryable,
  scope: TradingScope,
  positionId: number,
): Promise<Position | undefined> {
  const [row] = await queryRows(q, Position, `select * from ${scope.table('positions')} where position_id = $1`, [
    positionId,
  ]);
  return row;
}

export async function lockOpenPosition(q: Queryable, scope: TradingScope, positionId: number): Promise<Position> {
  const [row] = await queryRows(
    q,
    Position,
    `select * from ${scope.table('positions')} where position_id = $1 for update`,
    [positionId],
  );
  if (!row || row.status !== 'open') {
    throw new TraderError(
      'NOT_FOUND',
      `Position ${positionId} is not open; list open positions with \`trader positions\`.`,
    );
  }
  return row;
}

export async function hasOpenPosition(
  q: Queryable,
  scope: TradingScope,
  exchange: string,
  symbol: string,
): Promise<boolean> {
  const rows = await q.query(
    `select 1 from ${scope.table('positions')} where exchange = $1 and symbol = $2 and status = 'open'`,
    [exchange, symbol],
  );
  return rows.length > 0;
}

export interface TradeFilter {
  symbol?: string;
  positionId?: number;
  side?: 'buy' | 'sell';
  kind?: Trade['kind'];
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  limit: number;
}

/** Trades matching every filter given, newest first. */
export async function listTrades(q: Queryable, scope: TradingScope, filter: TradeFilter): Promise<Trade[]> {
  return queryRows(
    q,
    Trade,
    `select * from ${scope.table('trades')}
     where ($1::text is null or symbol = $1) and ($2::int8 is null or position_id = $2)
       and ($4::text is null or side = $4) and ($5::text is null or kind = $5)
       and ($6::timestamptz is null or ts >= $6) and ($7::timestamptz is null or ts < $7)
     order by ts desc, trade_id desc limit $3`,
    [
      filter.symbol ?? null,
      filter.positionId ?? null,
      filter.limit,
      filter.side ?? null,
      filter.kind ?? null,
      filter.since ?? null,
      filter.until ?? null,
    ],
  );
}

/** Free cash in the quote currency (0 when the wallet row does not exist yet). */
export async function quoteBalance(q: Queryable, scope: TradingScope): Promise<{ currency: string; balance: number }> {
  const { quote_currency: currency } = await loadState(q, scope);
  const [row] = await queryRows(
    q,
    z.object({ balance: num }),
    `select balance from ${scope.table('wallets')} where asset = $1`,
    [currency],
  );
  return { currency, balance: row?.balance ?? 0 };
}

/**
 * The ledger's invariant, checked in SQL so numeric arithmetic stays exact: the quote
 * wallet equals the initial balance plus every fill's cash_delta.
 */
export async function walletLedgerCheck(
  q: Queryable,
  scope: TradingScope,
): Promise<{ balance: number; expected: number; reconciles: boolean }> {
  const [row] = await queryRows(
    q,
    z.object({ balance: num, expected: num, reconciles: z.boolean() }),
    `with ledger as (
       select coalesce((select balance from ${scope.table('wallets')} where asset = s.quote_currency), 0) as balance,
              s.initial_balance + coalesce((select sum(cash_delta) from ${scope.table('trades')}), 0) as expected
       from ${scope.table('state')} s)
     select balance, expected, balance = expected as reconciles from ledger`,
  );
  return row!;
}

/**
 * Starts the TEST paper account over with `balance` of the quote currency. Only while no
 * trade exists: after that the balance is the sum of the trades' history, and rewriting
 * the starting point would make every recorded P&L meaningless.
 */
export async function initPaperAccount(
  db: Db,
  scope: TradingScope,
  balance: number,
): Promise<{ currency: string; balance: number }> {
  if (scope.mode !== 'TEST')
    throw new TraderError(
      'CONFIG_INVALID',
      'The paper account exists only in TEST mode; LIVE balances come from the exchange. Unset TRADER_SYSTEM_MODE=LIVE to use it.',
    );
  if (!Number.isFinite(balance) || balance <= 0)
    throw new TraderError('BAD_INPUT', `The paper balance must be a positive amount, not ${balance}.`);
  return tradingTx(db, scope, async (tx) => {
    const state = await loadState(tx, scope, { forUpdate: true });
    const [count] = await queryRows(tx, z.object({ n: num }), `select count(*) as n from ${scope.table('trades')}`);
    if (count!.n > 0) {
      throw new TraderError(
        'CONFIG_INVALID',
        `The paper account already has ${count!.n} trades and its balance is their history, so it cannot be re-initialised; start a fresh database (another TRADER_HOME) for a new account.`,
      );
    }
    const currency = state.quote_currency;
    const { balance: previous } = await quoteBalance(tx, scope);
    await tx.query(
      `insert into ${scope.table('wallets')} (asset, balance) values ($1, $2)
       on conflict (asset) do update set balance = excluded.balance, updated_at = now()`,
      [currency, balance],
    );
    await updateState(tx, scope, {
      initial_balance: balance,
      equity: balance,
      peak_equity: balance,
      drawdown_pct: 0,
      equity_as_of: null,
    });
    await recordAudit(tx, {
      mode: scope.mode,
      actor: 'USER',
      action_type: 'PAPER_ACCOUNT_INITIALISED',
      status: 'SUCCESS',
      risk_profile: state.risk_profile,
      details: { currency, balance, previous_balance: previous },
      entity_type: 'wallet',
      entity_id: currency,
    });
    return { currency, balance };
  });
}

export const WalletRow = z.object({ asset: z.string(), balance: num, updated_at: z.date() });
export type WalletRow = z.infer<typeof WalletRow>;

/** Every asset's free balance in the scope's wallet (the seed's key asset balances). */
export function listWallets(q: Queryable, scope: TradingScope): Promise<WalletRow[]> {
  return queryRows(q, WalletRow, `select asset, balance, updated_at from ${scope.table('wallets')} order by asset`);
}
