import type { z } from 'zod';
import * as S from './context-schemas.ts';
import { Macro } from './macro-schema.ts';
import type { LogicType } from './stages.ts';

/**
 * The context contract: every key a pipeline can hold, defined once. `value` keys have a
 * single writer per run; `list` keys are appended to by several modules (their schema is
 * the item's). `docs/context_dict_schema.md` is generated from this table.
 */
interface KeyDef<K extends 'value' | 'list', T extends z.ZodType> {
  kind: K;
  producer: 'core' | LogicType;
  description: string;
  schema: T;
}

const value = <T extends z.ZodType>(producer: KeyDef<'value', T>['producer'], description: string, schema: T) =>
  ({ kind: 'value', producer, description, schema }) as const satisfies KeyDef<'value', T>;
const list = <T extends z.ZodType>(producer: KeyDef<'list', T>['producer'], description: string, schema: T) =>
  ({ kind: 'list', producer, description, schema }) as const satisfies KeyDef<'list', T>;

export const contextKeys = {
  run: value(
    'core',
    'The run: id, pipeline, strategy, system and operational mode, risk profile, decision time.',
    S.RunInfo,
  ),
  symbol: value('core', 'The market symbol being decided, e.g. BTC/USDT.', S.MarketSymbol),
  instrument: value(
    'core',
    'Market metadata: precision, tick size, minimum quantity and notional, category.',
    S.Instrument,
  ),
  candles: value('core', 'Closed candles of the run timeframe up to as_of, oldest first (columnar).', S.CandleSeries),
  data_health: value('core', 'Gaps and staleness of the candles, checked before any module runs.', S.DataHealth),
  macro: value(
    'core',
    'Market-wide levels (total market cap, BTC.D, USDT.D, alts) and their trends as of the run; null when no macro data is stored.',
    Macro.nullable(),
  ),
  portfolio: value('core', 'Equity available to size positions in the current system mode.', S.Portfolio),
  positions: value(
    'core',
    "The account's open positions and this symbol's recently closed ones (with realised P&L), as of the run.",
    S.Positions,
  ),
  market_state: value('context', 'Trend direction and regime from EMAs and ADX.', S.MarketState),
  volatility: value('context', 'ATR, ATR as percent of price, and a low/normal/high band.', S.Volatility),
  session: value('context', 'Trading session and weekend flag at as_of.', S.Session),
  liquidity: value(
    'context',
    'Liquidity of the instrument: average quote volume, spread proxy, tier, category.',
    S.Liquidity,
  ),
  key_levels: value(
    'context',
    'Swing highs and lows, prior day and week high/low, nearest support and resistance.',
    S.KeyLevels,
  ),
  usdt_d_state: value(
    'context',
    'USDT dominance trend and what it suggests (rising USDT.D = risk off).',
    S.DominanceState,
  ),
  btc_d_state: value('context', 'BTC dominance trend and what it suggests for alts.', S.DominanceState),
  market_regime: value(
    'context',
    'risk_on / risk_off / neutral / alt_season from the dominance analyzers, with the rule.',
    S.MarketRegime,
  ),
  filter_verdicts: list('filter', 'Allow/block verdicts; any block stops the symbol with its reason.', S.FilterVerdict),
  signals: list('agent', 'Trade signals: direction, entry, stop, targets, reward:risk, confidence.', S.Signal),
  ideas: list('confluence', 'Confirmed trade ideas with a score and the agreeing signals.', S.Idea),
  risk_params: value(
    'risk',
    'Risk multiplier, risk per trade, max positions and category cap from risk_config rules.',
    S.RiskParams,
  ),
  stop_plan: value('risk', 'The stop for the best idea and how it was set (e.g. ATR multiple).', S.StopPlan),
  exit_plan: value(
    'risk',
    'Take-profit ladder (scale-out fractions), breakeven and time-stop rules for the best idea.',
    S.ExitPlan,
  ),
  intents: list('risk', 'Sized orders: side, quantity, entry, stop, take-profits, leverage, risk percent.', S.Intent),
  exit_requests: list(
    'risk',
    'Requests to close an open position whose trade is invalidated (structure break, time stop), with the reason.',
    S.ExitRequest,
  ),
  rationales: list('core', "Each module's human-readable why, tagged with module id, version and stage.", S.Rationale),
} as const;

export type ContextKeys = typeof contextKeys;
export type KeyName = keyof ContextKeys;

/** Keys the core writes before the first stage; modules may read them, never write them. */
export const coreKeys = (Object.keys(contextKeys) as KeyName[]).filter((k) => contextKeys[k].producer === 'core');

export function isKeyName(name: string): name is KeyName {
  return Object.hasOwn(contextKeys, name);
}

type Item<K extends KeyName> = z.output<ContextKeys[K]['schema']>;

/** What a key holds in the context: the value, or the array of items for list keys. */
export type ContextValue<K extends KeyName> = ContextKeys[K]['kind'] extends 'list' ? Item<K>[] : Item<K>;

export type Context = { [K in KeyName]?: ContextValue<K> };
