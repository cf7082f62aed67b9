/**
 * Binance's SIGNED (USER_DATA / TRADE) endpoint security, as the simulator enforces it:
 * the X-MBX-APIKEY header (-2014 missing, -2015 unknown), an HMAC-SHA256 signature of the
 * query string followed by the body, keyed by the API secret (-1022), and `timestamp`
 * within `recvWindow` (default 5000, at most 60000) of the server's clock, at most 1 s
 * ahead of it (-1021). Handlers throw BinanceReject; it becomes Binance's error body here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BinanceReject } from '../binance/filters.ts';
import type { Route, RouteContext, RouteResult } from '../server.ts';
import { binanceError } from './binance-errors.ts';

export interface ApiCredentials {
  apiKey: string;
  secret: string;
}

/** Binance's totalParams: the query string then the body, each without its signature. */
function signedPayload(ctx: RouteContext): { payload: string; signature: string | undefined } {
  let signature: string | undefined;
  const strip = (s: string) =>
    s
      .split('&')
      .filter((kv) => {
        if (!kv.startsWith('signature=')) return true;
        signature = decodeURIComponent(kv.slice('signature='.length));
        return false;
      })
      .join('&');
  return { payload: strip(ctx.rawQuery) + strip(ctx.body), signature };
}

function authenticate(ctx: RouteContext, creds: ApiCredentials): void {
  const key = ctx.headers['x-mbx-apikey'];
  if (typeof key !== 'string' || key === '') throw new BinanceReject(-2014, 'API-key format invalid.', 401);
  if (key !== creds.apiKey) throw new BinanceReject(-2015, 'Invalid API-key, IP, or permissions for action.', 401);
  const { payload, signature } = signedPayload(ctx);
  if (signature === undefined) {
    throw new BinanceReject(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
  }
  const expected = Buffer.from(createHmac('sha256', creds.secret).update(payload).digest('hex'));
  const given = Buffer.from(signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new BinanceReject(-1022, 'Signature for this request is not valid.');
  }
  const ts = Number(ctx.query.timestamp);
  if (ctx.query.timestamp === undefined || !Number.isInteger(ts)) {
    throw new BinanceReject(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  }
  const recvWindow = ctx.query.recvWindow === undefined ? 5000 : Number(ctx.query.recvWindow);
  if (!(recvWindow > 0 && recvWindow <= 60_000)) throw new BinanceReject(-1131, 'recvWindow must be less than 60000');
  if (ts >= ctx.serverTime + 1000) {
    throw new BinanceReject(-1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  }
  if (ctx.serverTime - ts > recvWindow) {
    throw new BinanceReject(-1021, 'Timestamp for this request is outside of the recvWindow.');
  }
}

/** Runs a handler, turning a BinanceReject into Binance's {"code","msg"} answer. */
function answering(handle: (ctx: RouteContext) => RouteResult): (ctx: RouteContext) => RouteResult {
  return (ctx) => {
    try {
      return handle(ctx);
    } catch (e) {
      if (e instanceof BinanceReject) return binanceError(e.status, e.code, e.message);
      throw e;
    }
  };
}

/** A SIGNED route: credentials checked before the handler runs. */
export function signedRoute(
  creds: ApiCredentials,
  method: Route['method'],
  path: string,
  handle: (ctx: RouteContext) => unknown,
): Route {
  return {
    method,
    path,
    handle: answering((ctx) => {
      authenticate(ctx, creds);
      return { status: 200, body: handle(ctx) };
    }),
  };
}
