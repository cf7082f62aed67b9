import { z } from 'zod';
import { traderEnv } from '../../core/env.ts';
import { TraderError, errorMessage } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { rawMetrics } from './derive.ts';
import { upsertMacroPoints, type MacroPoint } from './macro-repo.ts';
import { quote } from '../../core/quote.ts';
import { schemaProblems } from '../../core/schema-problems.ts';

/**
 * CoinGecko's public `GET /api/v3/global`: one snapshot of the whole market. We keep the
 * fields that feed the macro model, as CoinGecko reports them (percentages, not market
 * caps, for dominance), stamped at `data.updated_at`: TOTAL, BTC.D, and USDT.D / ETH.D
 * when present. Source id: coingecko_global. Every fetch is stored (upsert on the stamp,
 * so fetching twice within one CoinGecko update writes the same rows).
 */

export const COINGECKO_SOURCE = 'coingecko_global';
export const defaultCoingeckoUrl = 'https://api.coingecko.com';
export const defaultCoingeckoTimeoutMs = 10_000;

export function coingeckoBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return traderEnv(env).TRADER_COINGECKO_URL ?? defaultCoingeckoUrl;
}

const percent = z.number().min(0).max(100);

export const GlobalResponse = z.object({
  data: z
    .object({
      total_market_cap: z.object({ usd: z.number().positive() }).loose(),
      market_cap_percentage: z.object({ btc: percent, usdt: percent.optional(), eth: percent.optional() }).loose(),
      updated_at: z.number().int().positive().describe('seconds since the epoch'),
    })
    .loose(),
});
export type GlobalResponse = z.infer<typeof GlobalResponse>;

export interface GlobalSnapshot {
  updated_at: Date;
  points: MacroPoint[];
}

/** Converts a validated response into the points we store. */
export function snapshotPoints(body: GlobalResponse): GlobalSnapshot {
  const d = body.data;
  const ts = d.updated_at * 1000;
  const pct = d.market_cap_percentage;
  const pairs: [string, number | undefined][] = [
    [rawMetrics.total, d.total_market_cap.usd],
    [rawMetrics.btcD, pct.btc],
    [rawMetrics.usdtD, pct.usdt],
    [rawMetrics.ethD, pct.eth],
  ];
  const points = pairs
    .filter((p): p is [string, number] => p[1] !== undefined)
    .map(([metric, value]) => ({ source: COINGECKO_SOURCE, metric, ts, value }));
  return { updated_at: new Date(ts), points };
}

/** One GET of `${baseUrl}/api/v3/global`; every failure is one sentence (TRANSIENT or TIMEOUT). */
export async function fetchGlobalSnapshot(
  baseUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<GlobalSnapshot> {
  const timeoutMs = options.timeoutMs ?? defaultCoingeckoTimeoutMs;
  let url: URL;
  try {
    url = new URL('/api/v3/global', baseUrl);
  } catch {
    throw new TraderError(
      'BAD_INPUT',
      `CoinGecko URL ${quote(baseUrl)} is not a valid URL: set TRADER_COINGECKO_URL to something like ${defaultCoingeckoUrl}.`,
    );
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') {
      throw new TraderError(
        'TIMEOUT',
        `CoinGecko at ${url.origin} did not answer within ${timeoutMs} ms; retry later or raise --timeout-ms.`,
      );
    }
    const cause = (e as { cause?: unknown }).cause;
    throw new TraderError(
      'TRANSIENT',
      `CoinGecko at ${url.origin} is unreachable (${errorMessage(cause ?? e)}); check the network or TRADER_COINGECKO_URL and retry.`,
    );
  }
  if (!res.ok) {
    const hint = res.status === 429 ? 'rate limited; wait a minute and retry' : 'retry later';
    throw new TraderError(
      'TRANSIENT',
      `CoinGecko at ${url.origin} answered HTTP ${res.status} for /api/v3/global (${hint}).`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TraderError(
      'TRANSIENT',
      `CoinGecko at ${url.origin} sent a /api/v3/global body that is not JSON; retry later.`,
    );
  }
  const parsed = GlobalResponse.safeParse(json);
  if (!parsed.success) {
    throw new TraderError(
      'TRANSIENT',
      `${schemaProblems(`CoinGecko at ${url.origin} sent an unusable /api/v3/global response`, parsed.error)}; retry later.`,
    );
  }
  return snapshotPoints(parsed.data);
}

/** Fetches one snapshot and stores it in one transaction; nothing is written when the fetch fails. */
export async function recordGlobalSnapshot(
  db: Db,
  baseUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<GlobalSnapshot & { points_written: number }> {
  const snapshot = await fetchGlobalSnapshot(baseUrl, options);
  const written = await db.transaction((tx) => upsertMacroPoints(tx, snapshot.points));
  return { ...snapshot, points_written: written };
}
