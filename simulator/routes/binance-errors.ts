/** Binance error bodies ({"code":-NNNN,"msg":"..."}) used by the stand-in routes. */
import type { FaultBodies, RouteResult } from '../server.ts';

export function binanceError(status: number, code: number, msg: string): RouteResult {
  return { status, body: { code, msg } };
}

export const invalidSymbol = (): RouteResult => binanceError(400, -1121, 'Invalid symbol.');
export const invalidInterval = (): RouteResult => binanceError(400, -1120, 'Invalid interval.');
export const mandatoryMissing = (name: string): RouteResult =>
  binanceError(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
export const badParam = (name: string): RouteResult =>
  binanceError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);

export const binanceFaultBodies: FaultBodies = {
  rateLimit: (status, retryAfterSeconds, serverTime) =>
    status === 418
      ? {
          code: -1003,
          msg: `Way too much request weight used; IP banned until ${serverTime + retryAfterSeconds * 1000}. Please use WebSocket Streams for live updates to avoid bans.`,
        }
      : {
          code: -1003,
          msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API.',
        },
  notFound: (method, path) => ({ code: -1, msg: `stand-in: no route ${method} ${path}` }),
};
