import { checkDataHealth, corruptDataReason } from '../../market/data-health.ts';
import { loadCandleSeries } from '../../market/candles-repo.ts';
import { getInstrument } from '../../market/instruments-repo.ts';
import { buildMacroContext } from '../../market/macro/build-macro-context.ts';
import { parseTimeframe } from '../../market/timeframes.ts';
import { TraderError } from '../../core/errors.ts';
import type { Queryable } from '../../store/db.ts';
import { contextKeys } from '../../sdk/context-keys.ts';
import type { z } from 'zod';
import type { CandleSeries, DataHealth, Portfolio, RunInfo } from '../../sdk/context-schemas.ts';
import { fixedCandles } from './as-of-view.ts';
import { deepFreeze } from './freeze.ts';
import type { AccountView } from '../../trading/engine/account-view.ts';
import type { CostRates } from '../../sdk/entry-costs.ts';

export interface InitialContextOptions {
  run: z.infer<typeof RunInfo>;
  symbol: string;
  /** The exchange whose cached candles to read (the run's, or a fallback source). */
  candleSource: string;
  historyBars: number;
  /** Bars the newest candle may lag before data health calls it stale. */
  maxAgeBars: number;
  /** Fewest candles a symbol needs before it is decided at all. */
  minBars: number;
  /** Equity, free cash and positions as of the decision. */
  account: AccountView;
  /** The active risk profile's limit on risk per trade, percent. */
  maxRiskPct: number;
  /** The leverage the account may use now (1 unless activated in High). */
  maxLeverage: number;
  /** The fee and worst-case slippage the account charges, which the sizers count as the risk gate does. */
  costs: CostRates;
}

/** A symbol's initial context, or why its data blocks it before any module runs; `series`: the candles loaded (for the run's fingerprint). */
export type InitialContext = { series: z.infer<typeof CandleSeries> } & (
  { context: Record<string, unknown> } | { blocked: string; data_health: z.infer<typeof DataHealth> }
);

/**
 * The core keys for one symbol, read before any module runs: the run, the instrument,
 * closed candles up to as_of and their health, and the equity to size with. Each value
 * is checked against its contract schema once and frozen. Corrupt candles (values the
 * store refuses today, stored before it did; open times off the grid) block the symbol
 * here, with data health's reason, instead of reaching any module.
 */
export async function buildInitialContext(q: Queryable, o: InitialContextOptions): Promise<InitialContext> {
  const { timeframe, as_of } = o.run;
  const exchange = o.candleSource;
  const asOf = new Date(as_of);
  const candles = await loadCandleSeries(q, { exchange, symbol: o.symbol, timeframe, asOf, limit: o.historyBars });
  if (candles.ts.length === 0) {
    throw new TraderError(
      'NOT_FOUND',
      `No ${timeframe} candles for ${o.symbol} on ${exchange} closed by ${as_of}; import them with \`trader data import <file.csv> --symbol ${o.symbol} --timeframe ${timeframe}\`.`,
    );
  }
  const tf = parseTimeframe(timeframe);
  const data_health = checkDataHealth(candles, {
    timeframeMs: tf,
    asOfMs: asOf.getTime(),
    minBars: o.minBars,
    staleGraceMs: o.maxAgeBars * tf,
  });
  const blocked = corruptDataReason(data_health, o.symbol);
  if (blocked) return { blocked, data_health, series: candles };
  contextKeys.candles.schema.parse(candles);
  const instrument = await getInstrument(q, exchange, o.symbol);
  const macro = await buildMacroContext(q, asOf);
  const context = coreContext(
    {
      run: o.run,
      symbol: o.symbol,
      instrument,
      candles: fixedCandles(candles),
      data_health,
      macro,
      portfolio: portfolioOf(o.run, instrument.quote, o),
      positions: o.account.positions,
    },
    coreKeys,
  );
  return { context, series: candles };
}

/** The `portfolio` value: equity, free cash and costs to size with, and the profile's limits. */
export function portfolioOf(
  run: z.infer<typeof RunInfo>,
  currency: string,
  o: Pick<InitialContextOptions, 'account' | 'maxRiskPct' | 'maxLeverage' | 'costs'>,
): z.infer<typeof Portfolio> {
  const source =
    run.trigger === 'backtest'
      ? 'backtest account, marked to market at as_of'
      : run.system_mode === 'TEST'
        ? 'paper account, marked to market at as_of'
        : 'live account (reconciled balances)';
  return {
    system_mode: run.system_mode,
    equity: o.account.equity,
    currency,
    source,
    max_risk_pct: o.maxRiskPct,
    free_balance: o.account.free_balance,
    max_leverage: o.maxLeverage,
    fee_rate: o.costs.fee_rate,
    slippage_rate: o.costs.slippage_rate,
  };
}

type CoreKey = 'run' | 'symbol' | 'instrument' | 'candles' | 'data_health' | 'macro' | 'portfolio' | 'positions';
const coreKeys: readonly CoreKey[] = ['run', 'symbol', 'instrument', 'data_health', 'macro', 'portfolio', 'positions'];

/**
 * The frozen initial context from its core values. `validate` names the keys to check
 * against their contract schemas (candles are checked before they become a view; a
 * backtest checks values that do not change per bar once).
 */
export function coreContext(
  values: Partial<Record<CoreKey, unknown>>,
  validate: readonly CoreKey[],
): Record<string, unknown> {
  for (const key of validate) if (key in values) contextKeys[key].schema.parse(values[key]);
  return deepFreeze({ ...values });
}
