import type { Queryable } from '../../../store/db.ts';
import { haltedMarkets, wholeExchange } from './reconcile-repo.ts';

/**
 * Why new LIVE entries on `symbol` are held: reconciliation halted the market, or the whole
 * exchange, after it kept failing; null when it did not. Only that market (or exchange)
 * stops: the rest of LIVE, and TEST, go on.
 */
export async function marketHaltOf(q: Queryable, exchange: string, symbol: string): Promise<string | null> {
  const halt = (await haltedMarkets(q, exchange)).find((m) => m.symbol === symbol || m.symbol === wholeExchange);
  if (!halt) return null;
  const where = halt.symbol === wholeExchange ? `all of ${exchange}` : `${exchange} ${symbol}`;
  return `${where} kept failing (since ${halt.halted_at!.toISOString()}: ${halt.last_error ?? 'no error recorded'}); it resumes once reconciliation reads it again`;
}
