import { type ExchangeSession, openExchangeSession } from '../../market/exchange/exchange-session.ts';
import { fetchCandles } from '../../market/exchange/fetch-candles.ts';
import type { Db } from '../../store/db.ts';
import type { CandleFetcher } from './top-up.ts';

/** Fetches through ccxt, opening each exchange once per run and only when first needed. */
export function ccxtCandleFetcher(db: Db, timeframe: string, env: NodeJS.ProcessEnv = process.env): CandleFetcher {
  const sessions = new Map<string, Promise<ExchangeSession>>();
  return async (source, symbol, since, until) => {
    let session = sessions.get(source);
    if (!session) {
      session = openExchangeSession(source, { env });
      sessions.set(source, session);
    }
    const s = await session;
    const result = await fetchCandles(db, s.ex, { exchange: source, symbol, timeframe, since, until }, s);
    return result.stored;
  };
}
