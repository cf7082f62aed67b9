import { TraderError } from '../../core/errors.ts';
import { quote } from '../../core/quote.ts';
import { MarketSymbol } from '../../sdk/context-schemas.ts';

/** Each symbol is BASE/QUOTE in capitals and listed once (`run`, `pipeline validate`). */
export function checkSymbols(symbols: string[]): void {
  for (const s of symbols) {
    if (!MarketSymbol.safeParse(s).success)
      throw new TraderError('BAD_INPUT', `${quote(s)} is not a symbol like BTC/USDT (upper case BASE/QUOTE).`);
  }
  if (new Set(symbols).size !== symbols.length)
    throw new TraderError('BAD_INPUT', 'A symbol is listed twice in --symbols.');
}
