import { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';
import { lastCandleTs } from '../market/candles-repo.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import { MarketSymbol } from '../sdk/context-schemas.ts';
import type { Queryable } from '../store/db.ts';
import { correlationMatrix, dayMs, minSharedBars, windowBefore } from './return-correlation.ts';
import { storedReturns } from './stored-returns.ts';

/**
 * `trader correlation matrix`: the rolling return correlation of several markets on
 * stored candles (offline, never the exchange), as of a time. Informational: the risk
 * gate's cluster rule measures its own pairs the same way (return-correlation.ts).
 */

/** The most candles one market may load for a matrix: about 23 years of 1h bars. */
const maxBars = 200_000;

const Pair = z.object({
  a: z.string(),
  b: z.string(),
  correlation: z.number().min(-1).max(1).nullable(),
  bars: z.number().int().nonnegative().describe('returns both markets have in the window'),
  reason: z.string().nullable().describe('why the correlation is null'),
});

export const ReturnMatrixDoc = z.object({
  ok: z.literal(true),
  exchange: z.string(),
  timeframe: z.string(),
  window: z.string().describe('as given, e.g. 90d'),
  window_days: z.number().positive(),
  as_of: z.string().describe('the decision time: only candles closed by then count'),
  bars_asked: z.number().int().positive().describe('returns a full window holds'),
  min_bars: z.number().int().positive().describe('shared returns below which a pair is null'),
  symbols: z.array(z.string()),
  matrix: z.array(z.array(z.number().nullable())).describe('matrix[i][j]: symbols[i] with symbols[j]'),
  pairs: z.array(Pair).describe('each pair once, a < b in the order given'),
});
export type ReturnMatrixDoc = z.infer<typeof ReturnMatrixDoc>;

/** `90d`, `12w` or `720h` in ms; one clear sentence otherwise. */
export function parseWindow(text: string): number {
  const m = /^(\d+)([hdw])$/.exec(text.trim());
  const unit = { h: 3_600_000, d: dayMs, w: 7 * dayMs } as const;
  const ms = m ? Number(m[1]) * unit[m[2] as keyof typeof unit] : Number.NaN;
  if (!(ms >= dayMs && ms <= 3650 * dayMs))
    throw new TraderError(
      'BAD_INPUT',
      `--window ${quote(text)} is not a window of 1 day to 10 years; write it like 90d, 12w or 720h.`,
    );
  return ms;
}

function checkSymbols(symbols: readonly string[]): void {
  for (const s of symbols)
    if (!MarketSymbol.safeParse(s).success)
      throw new TraderError('BAD_INPUT', `${quote(s)} is not a symbol like BTC/USDT (upper case BASE/QUOTE).`);
  if (new Set(symbols).size !== symbols.length)
    throw new TraderError('BAD_INPUT', 'A symbol is listed twice in --symbols.');
  if (symbols.length < 2)
    throw new TraderError(
      'BAD_INPUT',
      'A correlation matrix needs at least two symbols, e.g. --symbols BTC/USDT,ETH/USDT.',
    );
}

export interface ReturnMatrixRequest {
  exchange: string;
  timeframe: string;
  symbols: string[];
  window: string;
  /** Default: the close of the newest candle stored for any of the symbols. */
  asOf?: Date;
}

export async function returnMatrixReport(q: Queryable, o: ReturnMatrixRequest): Promise<ReturnMatrixDoc> {
  checkSymbols(o.symbols);
  const stepMs = parseTimeframe(o.timeframe);
  const windowMs = parseWindow(o.window);
  const barsAsked = Math.floor(windowMs / stepMs);
  if (barsAsked < minSharedBars)
    throw new TraderError(
      'BAD_INPUT',
      `--window ${o.window} holds only ${barsAsked} ${o.timeframe} bars, fewer than the ${minSharedBars} a correlation needs; give a longer window.`,
    );
  if (barsAsked > maxBars)
    throw new TraderError(
      'BAD_INPUT',
      `--window ${o.window} holds ${barsAsked} ${o.timeframe} bars, more than the ${maxBars} one matrix loads; give a shorter window or a longer timeframe.`,
    );
  const newest: number[] = [];
  for (const symbol of o.symbols) {
    const last = await lastCandleTs(q, { exchange: o.exchange, symbol, timeframe: o.timeframe });
    if (last === null)
      throw new TraderError(
        'NOT_FOUND',
        `No ${o.timeframe} candles of ${symbol} on ${o.exchange} are stored; import or fetch them first (trader data fetch --symbols ${symbol} --timeframe ${o.timeframe}).`,
      );
    newest.push(last + stepMs);
  }
  const asOf = o.asOf ?? new Date(Math.max(...newest));
  const returns = await storedReturns(q, { ...o, asOf, windowMs });
  const m = correlationMatrix(
    o.symbols.map((symbol) => ({ symbol, returns: returns.get(symbol)! })),
    windowBefore(asOf.getTime(), windowMs, stepMs),
  );
  const pairs = o.symbols.flatMap((a, i) =>
    o.symbols.slice(i + 1).map((b, k) => ({ a, b, ...m.cells[i]![i + 1 + k]! })),
  );
  return ReturnMatrixDoc.parse({
    ok: true,
    exchange: o.exchange,
    timeframe: o.timeframe,
    window: o.window.trim(),
    window_days: windowMs / dayMs,
    as_of: asOf.toISOString(),
    bars_asked: barsAsked,
    min_bars: minSharedBars,
    symbols: o.symbols,
    matrix: m.cells.map((row) => row.map((c) => c.correlation)),
    pairs,
  });
}
