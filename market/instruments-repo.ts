import type { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { Instrument } from '../sdk/context-schemas.ts';
import { queryRows, type Queryable } from '../store/db.ts';
import { quote as quoteInput } from '../core/quote.ts';

/** The `instruments` table: what trader knows about each market's symbol and precision. */

export type InstrumentRow = z.infer<typeof Instrument>;

const columns =
  'exchange, symbol, base, quote, category, price_precision, amount_precision, tick_size, min_qty, min_notional';

/** The stored instrument, or NOT_FOUND when the market was never imported or synced. */
export async function getInstrument(q: Queryable, exchange: string, symbol: string): Promise<InstrumentRow> {
  const [row] = await queryRows(
    q,
    Instrument,
    `select ${columns} from instruments where exchange = $1 and symbol = $2`,
    [exchange, symbol],
  );
  if (!row) {
    throw new TraderError(
      'NOT_FOUND',
      `No instrument ${symbol} on ${exchange}: import its candles first with trader data import.`,
    );
  }
  return row;
}

/**
 * Makes sure a row exists so candles never refer to an unknown market. A minimal row
 * (precision unknown, category 'major') is enough for a CSV import; an existing row,
 * possibly richer from an exchange sync, is left untouched.
 */
export async function ensureInstrument(q: Queryable, exchange: string, symbol: string): Promise<void> {
  const [base, quote] = symbol.split('/');
  if (!base || !quote) throw new TraderError('BAD_INPUT', `Symbol ${quoteInput(symbol)} must look like BTC/USDT.`);
  await q.query(
    `insert into instruments (exchange, symbol, base, quote, category) values ($1, $2, $3, $4, 'major')
     on conflict (exchange, symbol) do nothing`,
    [exchange, symbol, base, quote],
  );
}

/** Stores what an exchange says about its markets, replacing what was known before. */
export async function upsertInstruments(q: Queryable, rows: InstrumentRow[]): Promise<void> {
  for (const r of rows) {
    await q.query(
      `insert into instruments (${columns}, is_active, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, true, now())
       on conflict (exchange, symbol) do update set base = excluded.base, quote = excluded.quote, category = excluded.category,
         price_precision = excluded.price_precision, amount_precision = excluded.amount_precision, tick_size = excluded.tick_size,
         min_qty = excluded.min_qty, min_notional = excluded.min_notional, is_active = true, updated_at = now()`,
      [
        r.exchange,
        r.symbol,
        r.base,
        r.quote,
        r.category,
        r.price_precision,
        r.amount_precision,
        r.tick_size,
        r.min_qty,
        r.min_notional,
      ],
    );
  }
}
