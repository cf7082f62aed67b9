import type { z } from 'zod';
import { TraderError } from '../core/errors.ts';
import { loadCandleRange, loadCandleSeries } from '../market/candles-repo.ts';
import { getInstrument } from '../market/instruments-repo.ts';
import { parseTimeframe } from '../market/timeframes.ts';
import { assertNoProblems, preparePlans } from '../engine/plan/prepare.ts';
import { planWarmup } from '../engine/plan/plan-warmup.ts';
import { type CandleSeries, MarketSymbol } from '../sdk/context-schemas.ts';
import { splitCorrupt, type SplitHistory } from './corrupt-candles.ts';
import type { Db } from '../store/db.ts';
import { tradingScope, tradingTx } from '../trading/scope.ts';
import {
  loadRiskProfile,
  loadState,
  usableLeverage,
  type RiskProfile,
  type RiskProfileName,
} from '../trading/state-repo.ts';
import { finerBarsFor } from './finer-bars.ts';
import type { ReplaySymbol } from './replay.ts';
import type { BacktestRequest } from './report-schema.ts';
import { quote } from '../core/quote.ts';

/** What the caller may leave out; the rest of BacktestRequest is filled from the TEST state. */
export interface BacktestOptions {
  symbols: string[];
  exchange: string;
  timeframe: string;
  from: Date;
  to: Date;
  pipelineId: string;
  strategyId: string | null;
  initialEquity: number;
  feeBps: number;
  slippageBps: number;
  historyBars: number;
  /** Default: the TEST account's active profile. */
  riskProfile?: RiskProfileName;
  env?: NodeJS.ProcessEnv;
}

/** The options' own sense (symbols, dates, amounts), before anything is read: one sentence naming the flag. */
export function checkBacktestOptions(o: BacktestOptions): void {
  if (o.symbols.length === 0) throw new TraderError('BAD_INPUT', 'Give at least one symbol, e.g. --symbols BTC/USDT.');
  for (const s of o.symbols)
    if (!MarketSymbol.safeParse(s).success)
      throw new TraderError('BAD_INPUT', `${quote(s)} is not a symbol like BTC/USDT (upper case BASE/QUOTE).`);
  if (new Set(o.symbols).size !== o.symbols.length)
    throw new TraderError('BAD_INPUT', 'A symbol is listed twice in --symbols.');
  const tf = parseTimeframe(o.timeframe);
  if (Number.isNaN(o.from.getTime()) || Number.isNaN(o.to.getTime()))
    throw new TraderError('BAD_INPUT', '--from and --to must be dates like 2023-01-01.');
  if (o.to.getTime() - o.from.getTime() < tf)
    throw new TraderError('BAD_INPUT', `--to must be at least one ${o.timeframe} bar after --from.`);
  if (!(o.initialEquity > 0) || !Number.isFinite(o.initialEquity))
    throw new TraderError('BAD_INPUT', '--equity must be a positive amount.');
  for (const [flag, v] of [
    ['--fee-bps', o.feeBps],
    ['--slippage-bps', o.slippageBps],
  ] as const) {
    if (!(v >= 0 && v <= 1000)) throw new TraderError('BAD_INPUT', `${flag} must be between 0 and 1000 basis points.`);
  }
}

/**
 * Candles of one market: `historyBars - 1` closed before `from` (the warm-up a live run
 * would hold), then every bar opening in [from, to); corrupt rows taken out (corrupt-candles.ts).
 */
async function loadMarket(
  db: Db,
  o: BacktestOptions,
  symbol: string,
): Promise<SplitHistory & { firstDecision: number }> {
  const key = { exchange: o.exchange, symbol, timeframe: o.timeframe };
  const warm =
    o.historyBars > 1
      ? await loadCandleSeries(db, { ...key, asOf: o.from, limit: o.historyBars - 1 })
      : { ts: [], open: [], high: [], low: [], close: [], volume: [] };
  const span = await loadCandleRange(db, key, o.from.getTime(), o.to.getTime());
  if (span.ts.length === 0) {
    throw new TraderError(
      'NOT_FOUND',
      `No ${o.timeframe} candles for ${symbol} on ${o.exchange} between ${o.from.toISOString()} and ${o.to.toISOString()}; import them with \`trader data import <file.csv> --symbol ${symbol} --timeframe ${o.timeframe}\`.`,
    );
  }
  const raw = {
    ...key,
    ...Object.fromEntries(
      (['ts', 'open', 'high', 'low', 'close', 'volume'] as const).map((c) => [c, [...warm[c], ...span[c]]]),
    ),
  } as z.infer<typeof CandleSeries>;
  const split = splitCorrupt(raw, { historyBars: o.historyBars, timeframeMs: parseTimeframe(o.timeframe) });
  const warmKept = split.full.ts.findIndex((t) => t >= o.from.getTime());
  return { ...split, firstDecision: warmKept === -1 ? split.full.ts.length : warmKept };
}

export interface PreparedBacktest {
  request: BacktestRequest;
  profile: RiskProfile;
  markets: ReplaySymbol[];
  finerTimeframes: Record<string, string[]>;
}

/**
 * Everything a replay needs, read once: the plans (the same planner as `trader run`,
 * every problem reported before anything runs), the TEST account's risk profile,
 * leverage and emergency action, and each market's candles and instrument.
 */
export async function prepareBacktest(db: Db, o: BacktestOptions): Promise<PreparedBacktest> {
  checkBacktestOptions(o);
  const scope = tradingScope('TEST');
  const { state, profile } = await tradingTx(db, scope, async (tx) => {
    const s = await loadState(tx, scope);
    return { state: s, profile: await loadRiskProfile(tx, scope, o.riskProfile ?? s.risk_profile) };
  });
  const prepared = await preparePlans(db, {
    pipelineId: o.pipelineId,
    strategyId: o.strategyId,
    symbols: o.symbols,
    riskProfile: profile.profile,
    env: o.env,
  });
  assertNoProblems(o.pipelineId, prepared.problems);
  // As a live run: at least the longest warm-up the plans' registration gates recorded (plan-warmup.ts).
  const historyBars = Math.max(o.historyBars, ...[...prepared.plans.values()].map((p) => planWarmup(p)?.bars ?? 0));
  const leverage = usableLeverage({ risk_profile: profile.profile, leverage_enabled: state.leverage_enabled }, profile);
  const markets: ReplaySymbol[] = [];
  const finerTimeframes: Record<string, string[]> = {};
  for (const symbol of o.symbols) {
    const { full, firstDecision, blockedAt } = await loadMarket(db, { ...o, historyBars }, symbol);
    const finer = await finerBarsFor(db, { exchange: o.exchange, symbol, timeframe: o.timeframe });
    finerTimeframes[symbol] = finer.timeframes;
    markets.push({
      plan: prepared.plans.get(symbol)!,
      instrument: await getInstrument(db, o.exchange, symbol),
      full,
      firstDecision,
      ...(blockedAt ? { blockedAt } : {}),
      finer: finer.load,
    });
  }
  const request: BacktestRequest = {
    symbols: o.symbols,
    exchange: o.exchange,
    timeframe: o.timeframe,
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    pipeline_id: o.pipelineId,
    strategy_id: o.strategyId,
    initial_equity: o.initialEquity,
    fee_bps: o.feeBps,
    slippage_bps: o.slippageBps,
    history_bars: historyBars,
    risk_profile: profile.profile,
    leverage,
    halt_action: state.emergency_halt_action,
  };
  return { request, profile, markets, finerTimeframes };
}
