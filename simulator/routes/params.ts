/** Reading Binance request parameters: Binance's -1100 / -1102 / -1121 / -1116 on bad ones. */
import { BinanceReject } from '../binance/filters.ts';
import { ORDER_TYPES, type OrderType, type Side } from '../binance/orders.ts';
import { marketId } from '../market.ts';

export type Params = Record<string, string>;

export const mandatory = (name: string): BinanceReject =>
  new BinanceReject(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);

export function str(q: Params, name: string): string {
  const v = q[name];
  if (v === undefined || v === '') throw mandatory(name);
  return v;
}

/** A decimal parameter, or undefined when absent. */
export function num(q: Params, name: string): number | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < 0) {
    throw new BinanceReject(
      -1100,
      `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`,
    );
  }
  return n;
}

export function int(q: Params, name: string): number | undefined {
  const n = num(q, name);
  if (n !== undefined && !Number.isInteger(n)) {
    throw new BinanceReject(-1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);
  }
  return n;
}

/** The unified symbol for the `symbol` parameter (BTCUSDT → BTC/USDT). */
export function symbolOf(q: Params, symbols: readonly string[]): string {
  const id = str(q, 'symbol');
  const found = symbols.find((s) => marketId(s) === id);
  if (found === undefined) throw new BinanceReject(-1121, 'Invalid symbol.');
  return found;
}

export function sideOf(q: Params, name = 'side'): Side {
  const v = str(q, name);
  if (v !== 'BUY' && v !== 'SELL') throw new BinanceReject(-1100, `Illegal characters found in parameter '${name}'.`);
  return v;
}

export function typeOf(q: Params, name = 'type'): OrderType {
  const v = str(q, name);
  if (!(ORDER_TYPES as readonly string[]).includes(v)) throw new BinanceReject(-1116, 'Invalid orderType.');
  return v as OrderType;
}

export function timeInForceOf(q: Params, name = 'timeInForce'): 'GTC' | 'IOC' | 'FOK' | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (v !== 'GTC' && v !== 'IOC' && v !== 'FOK') throw new BinanceReject(-1115, 'Invalid timeInForce.');
  return v;
}

/** Binance's list limits: default 500, at most 1000. */
export function limitOf(q: Params): number {
  return Math.min(1000, int(q, 'limit') ?? 500);
}

/** startTime/endTime (ms, inclusive), open-ended when absent. */
export function timeWindow(q: Params): { start: number; end: number } {
  return { start: int(q, 'startTime') ?? -Infinity, end: int(q, 'endTime') ?? Infinity };
}
