import type { Queryable } from '../../store/db.ts';
import { readMigrationFiles } from '../../store/migrate.ts';

/** The migration that made the candles table refuse unsound values. */
export const candleChecksVersion = '20261203100000';

/**
 * A database as one written before that migration holds it: the checks are dropped,
 * `write` stores what an older trader (or hand-written SQL) could, then the migration's
 * own file is applied again, exactly as `trader db migrate` applies it.
 */
export async function withOldCandles(db: Queryable, write: (q: Queryable) => Promise<unknown>): Promise<void> {
  await db.exec(
    'alter table candles drop constraint candles_prices_finite_positive, drop constraint candles_volume_finite',
  );
  await write(db);
  await db.exec(readMigrationFiles().find((f) => f.version === candleChecksVersion)!.sql);
}

/** Overwrites one stored candle's columns by SQL (values as text, so 'NaN' and 'Infinity' arrive as such). */
export function spoilCandle(
  q: Queryable,
  key: { symbol: string; timeframe?: string; ts: number },
  values: Partial<Record<'open' | 'high' | 'low' | 'close' | 'volume', string>>,
): Promise<unknown> {
  const sets = Object.entries(values).map(([col, v]) => `${col} = '${v}'::float8`);
  return q.query(
    `update candles set ${sets.join(', ')} where symbol = $1 and timeframe = $2 and ts = timestamptz 'epoch' + $3::float8 * interval '1 millisecond'`,
    [key.symbol, key.timeframe ?? '1h', key.ts],
  );
}
